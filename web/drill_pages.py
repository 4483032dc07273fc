"""Mock-recall drills: ``POST /api/v1/batches/{id}/drills`` and ``GET /api/v1/drills/{id}``, the
button on the inspectors' batch page, and the printable report ``/inspect/drills/{id}`` with its CSV.

The rules are ``web.drills``'s (a drill changes nothing in custody); who may is ``trace.policy``'s
"batch.drill" (inspectors and admins, like the recall it rehearses).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from suppliers.models import Batch, Product
from trace.batch_reads import BatchForReader
from trace.clock import local_zone
from trace.db import write_transaction
from trace.deps import SessionDep, WriteDep
from trace.fields import PathId
from trace.i18n import N_, translations
from trace.models import User
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow
from web import drills

api = APIRouter(tags=["inspections 监管"])
router = APIRouter(include_in_schema=False)

# The report's and the CSV's column headings (web.drills.DRILL_COLUMNS' order, then the unit).
COLUMN_LABELS = (N_("School ID"), N_("School code"), N_("School"), N_("Town"), N_("Shipped"), N_("In transit"),
                 N_("Accepted"), N_("Rejected"), N_("Used"), N_("On hand"), N_("Last used on"), N_("Unit"))


class DrillPublic(BaseModel):
    id: int
    batch_id: int
    run_by: int
    run_at: Any
    duration_ms: int
    school_count: int
    unit: str
    destinations: list[dict[str, Any]]


@api.post("/batches/{batch_id}/drills", response_model=DrillPublic, status_code=201,
          summary="Run a mock recall (模拟召回) on a batch: the recall list, timed; changes nothing in custody")
def drill_create(_: allow("batch.drill"), batch: BatchForReader, ctx: WriteDep):
    return ctx.run(lambda: drills.drill_public(drills.drill_run(ctx.session, actor=ctx.actor, batch_id=batch.id)))


@api.get("/drills/{drill_id}", response_model=DrillPublic, summary="One mock recall and its list")
def drill_read(_: allow("batch.drill"), drill_id: PathId, session: SessionDep):
    return drills.drill_public(drills.drill_get(session, drill_id))


@router.post("/inspect/batches/{batch_id}/drills")
def drill_run_page(actor: allow("batch.drill"), batch: BatchForReader, session: SessionDep) -> Response:
    """模拟召回 from the batch page: run, then show the report (PRG)."""
    with write_transaction(session):
        drill = drills.drill_run(session, actor=actor, batch_id=batch.id)
        session.commit()
    return see_other(f"/inspect/drills/{drill.id}")


@router.get("/inspect/drills/{drill_id}")
def drill_report(_: allow("batch.drill"), drill_id: PathId, request: Request, session: SessionDep) -> Response:
    """The drill's report: a clean page to print and file."""
    drill = drills.drill_get(session, drill_id)
    batch = session.get(Batch, drill.batch_id)
    product = session.get(Product, batch.product_id)
    runner = session.get(User, drill.run_by)
    return render_page(request, "inspect/drill.html", drill=drill, rows=drills.drill_rows(drill), batch=batch,
                       product=product, runner=runner, run_at=drill.run_at.astimezone(local_zone()),
                       labels=COLUMN_LABELS)


@router.get("/inspect/drills/{drill_id}/list.csv")
def drill_report_csv(_: allow("batch.drill"), drill_id: PathId, request: Request,
                     session: SessionDep) -> Response:
    """The drill's list as CSV (UTF-8 with BOM), headings in the page's language."""
    drill = drills.drill_get(session, drill_id)
    gettext = translations(page_locale(request)).gettext
    body = drills.drill_csv(drill, [gettext(label) for label in COLUMN_LABELS])
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="drill-{drill.id}.csv"'})
