"""The supplier's pages for its batches and their labels.

Who may open them is ``trace.policy``'s "work.supplier"; a batch page shows only the supplier's own
batch (``suppliers.deps.BatchOfSupplier``: another supplier's is "not found"). Labels are printed by
the API routes (PNG per batch, an A4 PDF sheet for many), which accept the browser's session cookie.
Orders and shipments belong to the canteens domain, so their supplier pages stand on the top floor
(``web/work_reads.py``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from suppliers import selectors, service
from suppliers.deps import BatchOfSupplier
from suppliers.models import BATCH_STATUS_LABELS
from trace.clock import local_today
from trace.deps import SessionDep
from trace.pages import render_page, see_other
from trace.policy import allow

router = APIRouter(include_in_schema=False)

LABEL_SIZES = ("40x30", "60x40")


@router.get("/supplier/batches")
def batches(actor: allow("work.supplier"), request: Request, session: SessionDep) -> Response:
    """The supplier's batches, newest first: registered, shipped and left, status and expiry."""
    return render_page(request, "suppliers/batches.html",
                       rows=selectors.batches_with_products(session, actor.supplier_id), today=local_today(),
                       status_labels=BATCH_STATUS_LABELS)


@router.get("/supplier/batches/{batch_id}")
def batch_page(_: allow("work.supplier"), batch: BatchOfSupplier, request: Request, session: SessionDep) -> Response:
    """One batch: its facts, papers, and links to its labels and its public page."""
    return render_page(request, "suppliers/batch.html", batch=batch,
                       product=service.product_get(session, batch.product_id),
                       certificates=service.certificates_of(session, batch.id), today=local_today(),
                       status_labels=BATCH_STATUS_LABELS, sizes=LABEL_SIZES)


def _labels_page(request: Request, session: SessionDep, supplier_id: int, *, none_ticked: bool = False) -> Response:
    return render_page(request, "suppliers/labels.html", status=422 if none_ticked else 200, none_ticked=none_ticked,
                       rows=selectors.batches_with_products(session, supplier_id), sizes=LABEL_SIZES,
                       today=local_today(), status_labels=BATCH_STATUS_LABELS)


@router.get("/supplier/labels")
def labels(actor: allow("work.supplier"), request: Request, session: SessionDep) -> Response:
    """Choose batches and a size, and print an A4 sheet of their labels."""
    return _labels_page(request, session, actor.supplier_id)


@router.get("/supplier/labels/print")
def labels_print(actor: allow("work.supplier"), request: Request, session: SessionDep,
                 batch_id: Annotated[list[int], Query(max_length=200)] = [],  # noqa: B006 (FastAPI reads it)
                 size: Annotated[str, Query(max_length=10)] = LABEL_SIZES[-1]) -> Response:
    """The sheet (a PDF from the API route), once at least one batch is ticked: with none, the
    page says so in words instead of the API's bare 422."""
    if not batch_id:
        return _labels_page(request, session, actor.supplier_id, none_ticked=True)
    if size not in LABEL_SIZES:
        size = LABEL_SIZES[-1]
    return see_other("/api/v1/labels/sheet.pdf?" + urlencode({"size": size, "batch_id": batch_id}, doseq=True))
