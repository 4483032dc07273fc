"""Work pages that read across domains, so they stand on the top floor.

- ``/canteen/shipments/{id}``: a delivery for the canteen — the batch, its papers, the rapid tests
  (inspections) and the receipts with both checkers (canteens), linking into the two-person check
  (``/canteen/receive``, canteens.receiving_pages);
- ``/supplier/orders``, ``/supplier/orders/{number}``, ``/supplier/shipments``: the supplier's side of
  orders and shipments, which the canteens domain owns (``suppliers`` may not import it).

Who may open each is declared with ``allow("work.…")``; which record is shown is the load-or-404
dependencies' (``ShipmentForReader``, ``OrderForReader``): another school's or supplier's is "not found".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from canteens import selectors
from canteens import service as canteen_service
from canteens.current import receipts_corrected_by
from canteens.deps import OrderForReader, ShipmentForReader
from canteens.models import Shipment
from inspections import service as inspection_service
from inspections.models import OUTCOME_LABELS, TEST_KIND_LABELS
from inspections.rapid_tests import VERDICT_LABELS
from suppliers import service as supplier_service
from suppliers.models import BATCH_STATUS_LABELS
from trace.clock import local_date, local_today
from trace.deps import SessionDep
from trace.models import User
from trace.pages import render_page
from trace.policy import allow

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=500)]


def _shipment_page(request: Request, session: SessionDep, shipment: Shipment) -> Response:
    batch = supplier_service.batch_get(session, shipment.batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    order, revision, line = selectors.order_line_of(session, shipment.order_line_id)
    receipts = selectors.receipts_of_shipment(session, shipment.id)
    # A corrected receipt is listed with its correction; only the newest counts.
    corrected_by = receipts_corrected_by(session, (r.id for r in receipts))
    counted = [r for r in receipts if r.id not in corrected_by]
    accepted = sum((r.accepted_quantity for r in counted), selectors.ZERO)
    rejected = sum((r.rejected_quantity for r in counted), selectors.ZERO)
    # The canteen sees its own rapid tests and the laboratory reports that travel with the lot.
    tests = [t for t in inspection_service.tests_of_batch(session, batch.id) if t.school_id in (None, shipment.school_id)]
    return render_page(
        request, "canteens/shipment.html", shipment=shipment, batch=batch, order=order,
        revision=revision, line=line, product=product, supplier=supplier_service.supplier_get(session, batch.supplier_id),
        certificates=supplier_service.certificates_of(session, batch.id), tests=tests, receipts=receipts,
        corrected_by=corrected_by,
        outstanding=shipment.quantity - accepted - rejected,
        state=selectors.arrival_state(shipment.quantity, accepted, rejected), arrival_labels=selectors.ARRIVAL_LABELS,
        status_labels=BATCH_STATUS_LABELS, outcome_labels=OUTCOME_LABELS, verdict_labels=VERDICT_LABELS,
        local_date=local_date, test_kind_labels=TEST_KIND_LABELS,
        today=local_today(), people={u.id: u.display_name for u in (
            session.get(User, i) for i in {r.received_by for r in receipts} | {r.confirmed_by for r in receipts} if i)
            if u})


@router.get("/canteen/shipments/{shipment_id}")
def canteen_shipment(_: allow("work.canteen"), shipment: ShipmentForReader, request: Request,
                     session: SessionDep) -> Response:
    """One delivery to the school: the lot, its papers and tests, what the canteen made of it (both checkers),
    and the way into the two-person check."""
    return _shipment_page(request, session, shipment)


@router.get("/supplier/orders")
def supplier_orders(actor: allow("work.supplier"), request: Request, session: SessionDep) -> Response:
    """Orders addressed to the supplier, as they stand now."""
    orders = selectors.orders_of_supplier(session, actor.supplier_id)
    products = selectors.products_named(session, {line.product_id for o in orders for line in o.lines})
    return render_page(request, "suppliers/orders.html", orders=orders, products=products, today=local_today())


@router.get("/supplier/orders/{order_number}")
def supplier_order(_: allow("work.supplier"), order: OrderForReader, request: Request,
                   session: SessionDep) -> Response:
    """One order: every revision with its lines, and what was shipped against it."""
    revisions = canteen_service.order_revisions(session, order.id)
    products = selectors.products_named(session, {line.product_id for _, lines in revisions for line in lines})
    return render_page(request, "suppliers/order.html", order=order, revisions=list(reversed(revisions)),
                       products=products, school=canteen_service.school_get(session, order.school_id),
                       shipments=selectors.shipments_of_order(session, order.id),
                       arrival_labels=selectors.ARRIVAL_LABELS)


@router.get("/supplier/shipments")
def supplier_shipments(actor: allow("work.supplier"), request: Request, session: SessionDep) -> Response:
    """The supplier's shipments with what each school made of them."""
    return render_page(request, "suppliers/shipments.html",
                       shipments=selectors.shipments_of_supplier(session, actor.supplier_id),
                       arrival_labels=selectors.ARRIVAL_LABELS, status_labels=BATCH_STATUS_LABELS)
