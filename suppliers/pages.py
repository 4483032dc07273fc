"""The supplier's pages for its batches and their labels.

Who may open them is ``trace.policy``'s "work.supplier"; a batch page shows only the supplier's own
batch (``suppliers.deps.BatchOfSupplier``: another supplier's is "not found"). Labels are printed by
the API routes (PNG per batch, an A4 PDF sheet for many), which accept the browser's session cookie.
Orders and shipments belong to the canteens domain, so their supplier pages stand on the top floor
(``web/work_reads.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suppliers import selectors, service
from suppliers.deps import BatchOfSupplier
from suppliers.models import BATCH_STATUS_LABELS
from trace.clock import local_today
from trace.deps import SessionDep
from trace.pages import render_page
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


@router.get("/supplier/labels")
def labels(actor: allow("work.supplier"), request: Request, session: SessionDep) -> Response:
    """Choose batches and a size, and print an A4 sheet of their labels (a GET form to the PDF route)."""
    return render_page(request, "suppliers/labels.html",
                       rows=selectors.batches_with_products(session, actor.supplier_id), sizes=LABEL_SIZES,
                       today=local_today(), status_labels=BATCH_STATUS_LABELS)
