"""Routes that read batches across domains: by lot code, labels and one batch.

Who may read a batch depends on the canteens (a canteen sees what it was sent), so these
routes stand on the top floor with the trace queries, not in ``suppliers/``. They keep the
suppliers' tag: to a client they are the supplier domain's batch routes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from suppliers import labels
from suppliers.models import Batch
from suppliers.public import batch_public
from suppliers.schemas import BatchPublic
from trace.db import MAX_ROW_ID
from trace.deps import ActorDep, SessionDep
from trace.fields import PageLimit, PageOffset, PathId, QueryIds
from trace.labels import render_label_png, render_label_sheet_pdf
from trace.policy import allow
from trace.queries import batch_for_reader, batches_for_reader

router = APIRouter(tags=["suppliers 供应商"])


def batch_of_reader(batch_id: PathId, session: SessionDep, actor: ActorDep) -> Batch:
    return batch_for_reader(session, actor, batch_id)


BatchForReader = Annotated[Batch, Depends(batch_of_reader)]

SupplierFilter = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="Only this supplier's batches")]
LotCode = Annotated[str | None, Query(
    min_length=1, max_length=20,
    description="Find batches by lot code (GS1 AI 10, exact and case-sensitive) across suppliers and products; "
                "lot codes repeat, so several batches may match. Canteen staff find only lots sent to their school")]


@router.get("/batches", response_model=list[BatchPublic])
def list_batches(actor: allow("batch.read"), session: SessionDep, supplier_id: SupplierFilter = None, lot_code: LotCode = None,
                 limit: PageLimit = 100, offset: PageOffset = 0):
    """Batches of one supplier, or by lot code, newest first (a supplier sees only its own)."""
    found = batches_for_reader(session, actor, supplier_id=supplier_id, lot_code=lot_code, limit=limit, offset=offset)
    return [batch_public(session, b) for b in found]


LABEL_PNG = {200: {"content": {"image/png": {}}, "description": "The label, sized to the dot"}}
LABEL_PDF = {200: {"content": {"application/pdf": {}}, "description": "A4 sheet(s) of labels"}}


@router.get("/batches/{batch_id}/label.png", response_class=Response, responses=LABEL_PNG)
def batch_label(_: allow("batch.label"), batch: BatchForReader, session: SessionDep,
                size: Annotated[Literal["40x30", "60x40"], Query(description="Label size in mm")] = "40x30",
                dpi: Annotated[int, Query(description="Printer resolution: 203 or 300")] = 203):
    """The batch's QR label as a PNG for a 203 or 300 dpi thermal printer."""
    png = render_label_png(labels.label_for_batch(session, batch), size=size, dpi=dpi, font_path=labels.label_font())
    return Response(png, media_type="image/png",
                    headers={"Content-Disposition": f'inline; filename="label-{batch.lot_code}-{size}-{dpi}dpi.png"'})


@router.get("/labels/sheet.pdf", response_class=Response, responses=LABEL_PDF)
def label_sheet(actor: allow("batch.label"), session: SessionDep,
                batch_id: QueryIds,
                size: Annotated[Literal["40x30", "60x40"], Query()] = "60x40"):
    """A printable A4 sheet of labels for any list of batches (``?batch_id=1&batch_id=2``)."""
    contents = [labels.label_for_batch(session, batch_for_reader(session, actor, i)) for i in batch_id]
    pdf = render_label_sheet_pdf(contents, font_path=labels.label_font(), size=size)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'inline; filename="labels.pdf"'})


@router.get("/batches/{batch_id}", response_model=BatchPublic)
def get_batch(_: allow("batch.read"), batch: BatchForReader, session: SessionDep):
    """One batch, if the caller may see it."""
    return batch_public(session, batch)
