"""A school's public page: what its canteen received lately, each lot linking to its
public batch record. Parents reach it from the front door's school list.

Read-side like the resolver's batch page (it reads schools, receipts and batches), so it
stands on the top floor. It names no person: only the school, its canteen licence, and
the lots with their products and suppliers.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from canteens import deliveries, schools
from canteens.current import receipts_corrected_by
from suppliers import service as supplier_service
from suppliers.models import BatchStatus
from trace.clock import local_today
from trace.deps import SessionDep
from trace.fields import PathId
from trace.pages import render_page
from trace.policy import public

router = APIRouter(include_in_schema=False,
                   dependencies=[public("parents see what their school's canteen received")])

RECENT_DAYS = 14


@router.get("/public/schools/{school_id}")
def public_school_page(request: Request, school_id: PathId, session: SessionDep) -> Response:
    school = schools.school_get(session, school_id)
    today = local_today()
    since = today - timedelta(days=RECENT_DAYS - 1)
    found = deliveries.receipts_of_school(session, school.id, date_from=since, date_to=today, limit=500)
    replaced = receipts_corrected_by(session, (r.id for r in found))  # a corrected receipt shows as it now stands
    accepted = [r for r in found if r.accepted_quantity > 0 and r.id not in replaced]
    batches = supplier_service.batches_by_id(session, {r.batch_id for r in accepted})
    products = {p.id: p for p in supplier_service.product_list(session)}
    suppliers = {s.id: s for s in supplier_service.supplier_list(session)}
    lots = [{"receipt": r, "batch": batches[r.batch_id], "product": products[batches[r.batch_id].product_id],
             "supplier": suppliers[batches[r.batch_id].supplier_id]}
            for r in sorted(accepted, key=lambda r: (r.receipt_date, r.id), reverse=True)]
    return render_page(request, "public_school.html", school=school, canteen=schools.canteen_of(session, school.id),
                       lots=lots, since=since, today=today, days=RECENT_DAYS,
                       withdrawn=[lot for lot in lots if lot["batch"].status != BatchStatus.active])
