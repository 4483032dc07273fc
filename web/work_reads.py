"""Work pages that read across domains, so they stand on the top floor.

- ``/canteen/shipments/{id}``: a delivery for the canteen — the batch, its papers, the rapid tests
  (inspections) and the receipt (canteens), with a simple receipt form (``receipt_create``, PRG);
- ``/supplier/orders``, ``/supplier/orders/{number}``, ``/supplier/shipments``: the supplier's side of
  orders and shipments, which the canteens domain owns (``suppliers`` may not import it).

Who may open each is declared with ``allow("work.…")``; which record is shown is the load-or-404
dependencies' (``ShipmentForReader``, ``OrderForReader``): another school's or supplier's is "not found".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from canteens import selectors
from canteens import service as canteen_service
from canteens.current import receipts_corrected_by
from canteens.deps import OrderForReader, ShipmentForReader
from canteens.models import Shipment
from canteens.schemas import ReceiptCreate
from inspections import service as inspection_service
from inspections.models import OUTCOME_LABELS, TEST_KIND_LABELS
from inspections.rapid_tests import VERDICT_LABELS
from suppliers import service as supplier_service
from suppliers.models import BATCH_STATUS_LABELS
from trace.clock import local_date, local_today
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=500)]


def _shipment_page(request: Request, session: SessionDep, shipment: Shipment, *, status: int = 200,
                   error: str | None = None, form: dict[str, str] | None = None, received: bool = False) -> Response:
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
        request, "canteens/shipment.html", status=status, shipment=shipment, batch=batch, order=order,
        revision=revision, line=line, product=product, supplier=supplier_service.supplier_get(session, batch.supplier_id),
        certificates=supplier_service.certificates_of(session, batch.id), tests=tests, receipts=receipts,
        corrected_by=corrected_by,
        outstanding=shipment.quantity - accepted - rejected,
        state=selectors.arrival_state(shipment.quantity, accepted, rejected), arrival_labels=selectors.ARRIVAL_LABELS,
        status_labels=BATCH_STATUS_LABELS, outcome_labels=OUTCOME_LABELS, verdict_labels=VERDICT_LABELS,
        local_date=local_date, test_kind_labels=TEST_KIND_LABELS,
        today=local_today(), error=error, form=form or {}, received=received,
        needs_temperature=supplier_service.arrival_limits(product) is not None)


@router.get("/canteen/shipments/{shipment_id}")
def canteen_shipment(_: allow("work.canteen"), shipment: ShipmentForReader, request: Request,
                     session: SessionDep, received: bool = False) -> Response:
    """One delivery to the school: the lot, its papers and tests, what the canteen made of it, and the receipt form."""
    return _shipment_page(request, session, shipment, received=received)


@router.post("/canteen/shipments/{shipment_id}/receipt")
def canteen_receipt(actor: allow("work.canteen"), shipment: ShipmentForReader, request: Request, session: SessionDep,
                    accepted: FormText = "", rejected: FormText = "", rejection_reason: FormText = "",
                    temperature: FormText = "") -> Response:
    """Record a simple receipt (验收) through canteens.service.receipt_create, then back to the shipment (PRG).

    The full receiving-by-scan, with the rapid test and two people, is issue 12's.
    """
    form = {"accepted": accepted, "rejected": rejected, "rejection_reason": rejection_reason,
            "temperature": temperature}
    try:
        data = _receipt_from_form(shipment, form)
        with write_transaction(session):
            canteen_service.receipt_create(session, actor=actor, data=data)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _shipment_page(request, session, shipment, status=refused.status, form=form,
                              error=refused.zh if page_locale(request) == "zh-CN" else refused.en)
    return see_other(f"/canteen/shipments/{shipment.id}?received=1")


def _form_number(text: str, *, zh: str, en: str, default: Decimal | None) -> Decimal | None:
    text = text.strip()
    if not text:
        return default
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise Invalid("form_number_invalid", f"{zh}须为数字", f"The {en} must be a number")
    return number


def _receipt_from_form(shipment: Shipment, form: dict[str, str]) -> ReceiptCreate:
    accepted = _form_number(form["accepted"], zh="验收数量", en="accepted quantity", default=Decimal(0))
    rejected = _form_number(form["rejected"], zh="拒收数量", en="rejected quantity", default=Decimal(0))
    temperature = _form_number(form["temperature"], zh="到货温度", en="arrival temperature", default=None)
    try:
        return ReceiptCreate(shipment_id=shipment.id, accepted_quantity=accepted, rejected_quantity=rejected,
                             unit=shipment.unit, rejection_reason=form["rejection_reason"].strip(),
                             arrival_temperature_celsius=float(temperature) if temperature is not None else None,
                             receipt_date=local_today())
    except ValidationError as invalid:
        raise Invalid("receipt_form_invalid", "请填写验收或拒收数量（不能为负，最多三位小数），温度在 -60 至 60 °C 之间",
                      "Enter an accepted or rejected quantity (not negative, at most three decimals) and a "
                      "temperature between -60 and 60 °C") from invalid


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
