"""Routes for receiving by scan with two-person acceptance (thin; the rules are canteens.receipt_checks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from canteens import receipt_checks
from canteens.deps import ReceiptCheckForActor, SchoolForActor
from canteens.models import CheckStatus, ReceiptCheck
from canteens.schemas import (
    ExpectedShipmentPublic,
    ReceiptCheckCreate,
    ReceiptCheckPublic,
    ReceiptCheckWithdraw,
    ReceiptPublic,
)
from trace.deps import SessionDep, WriteDep
from trace.fields import PageLimit, PageOffset
from trace.policy import allow

router = APIRouter(tags=["canteens 学校食堂"])


def check_public(session, check: ReceiptCheck) -> ReceiptCheckPublic:
    public = ReceiptCheckPublic.model_validate(check)
    receipt = receipt_checks.receipt_of_check(session, check.id) if check.status == CheckStatus.confirmed else None
    public.receipt_id = receipt.id if receipt is not None else None
    return public


def expected_public(expected: receipt_checks.ExpectedShipment) -> ExpectedShipmentPublic:
    shipment, batch, product = expected.shipment, expected.batch, expected.product
    return ExpectedShipmentPublic(
        shipment_id=shipment.id, batch_id=batch.id, lot_code=batch.lot_code, gtin=batch.gtin, product_id=product.id,
        product_name=product.name, supplier_id=expected.supplier.id, supplier_name=expected.supplier.name,
        order_number=expected.order.order_number, order_line=expected.line.line_number,
        delivery_date=expected.revision.delivery_date, ordered_quantity=expected.line.ordered_quantity,
        ordered_unit=expected.line.ordered_unit, shipped_quantity=shipment.quantity, unit=shipment.unit,
        outstanding_quantity=expected.outstanding, ship_date=shipment.ship_date,
        production_date=batch.production_date, expiry_date=batch.expiry_date,
        days_to_expiry=expected.days_to_expiry, batch_status=batch.status, cold_chain=product.cold_chain,
        rapid_test=product.rapid_test, open_check_id=expected.open_check_id)


@router.post("/receipt-checks", response_model=ReceiptCheckPublic, status_code=201)
def open_receipt_check(_: allow("receipt.check"), body: ReceiptCheckCreate, ctx: WriteDep):
    """The first checker's 验收单 (accept / partial / reject, papers, temperature, rapid test); it counts
    once a second canteen staff member of the school confirms it."""
    return ctx.run(lambda: check_public(ctx.session, receipt_checks.check_open(
        ctx.session, actor=ctx.actor, data=body)))


@router.get("/receipt-checks/{check_id}", response_model=ReceiptCheckPublic)
def get_receipt_check(_: allow("receipt_check.read"), check: ReceiptCheckForActor, session: SessionDep):
    """One receipt check (its school, inspectors and admins)."""
    return check_public(session, check)


@router.post("/receipt-checks/{check_id}/confirm", response_model=ReceiptPublic, status_code=201)
def confirm_receipt_check(_: allow("receipt.check"), check: ReceiptCheckForActor, ctx: WriteDep):
    """A second canteen staff member of the same school confirms the check: the receipt is written (双人联检)."""
    return ctx.run(lambda: ReceiptPublic.model_validate(receipt_checks.check_confirm(
        ctx.session, actor=ctx.actor, check_id=check.id)))


@router.post("/receipt-checks/{check_id}/withdraw", response_model=ReceiptCheckPublic)
def withdraw_receipt_check(_: allow("receipt.check"), check: ReceiptCheckForActor, body: ReceiptCheckWithdraw,
                           ctx: WriteDep):
    """Withdraw an open check, with a reason; nothing of it counted."""
    return ctx.run(lambda: check_public(ctx.session, receipt_checks.check_withdraw(
        ctx.session, actor=ctx.actor, check_id=check.id, reason=body.reason)), status_code=200)


@router.get("/schools/{school_id}/receipt-checks", response_model=list[ReceiptCheckPublic])
def school_receipt_checks(_: allow("receipt_check.read"), school: SchoolForActor, session: SessionDep,
                          status: Annotated[CheckStatus | None, Query(
                              description="Only checks in this status, e.g. `open`: awaiting a second checker")] = None,
                          limit: PageLimit = 100, offset: PageOffset = 0):
    """A school's receipt checks, newest first."""
    return [check_public(session, c) for c in receipt_checks.checks_of_school(
        session, school.id, status=status, limit=limit, offset=offset)]


@router.get("/schools/{school_id}/expected-deliveries", response_model=list[ExpectedShipmentPublic])
def school_expected_deliveries(_: allow("receipt_check.read"), school: SchoolForActor, session: SessionDep):
    """Shipments due at the school today or before and still to receive (what the offline page caches)."""
    return [expected_public(e) for e in receipt_checks.expected_deliveries(session, school.id)]


@router.get("/schools/{school_id}/scan", response_model=list[ExpectedShipmentPublic])
def school_scan(actor: allow("receipt.check"), school: SchoolForActor, session: SessionDep,
                code: Annotated[str, Query(min_length=1, max_length=300,
                                           description="A lot code, a GS1 Digital Link or a label's QR text")]):
    """The shipments of a scanned lot the school still has to receive, or why it may not be received."""
    return [expected_public(e) for e in receipt_checks.scan_lookup(
        session, actor=actor, code=code, school_id=school.id)]
