"""The receiving pages: scan a lot at the door, fill the check, and a second person confirms it.

- ``/canteen/receive``: a lot-code input (a scanner gun types the code and Enter submits; without
  JavaScript it is a plain GET form), today's expected deliveries and the checks waiting for a
  second checker; after a scan, the shipment against its order line and the check form
  (``<form data-offline="receipt-check">``, inputs named as ``ReceiptCheckCreate``'s fields);
- ``/canteen/receipt-checks/{id}``: the check, 待第二人复核, with the confirmation — the second
  person's username and password typed on the same phone (verified and throttled as a sign-in,
  ``trace.sign_in.cosign_record``), or one button for a second staff member signed in on their
  own phone — and the withdrawal; once confirmed, the receipt with both names.

Who may open them is "work.canteen" (canteen staff); the rules are ``canteens.receipt_checks``'.
Refusals come back on the page as messages, in the page's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from canteens import receipt_checks, selectors, service
from canteens.models import CHECK_STATUS_LABELS, DISPOSAL_LABELS, CheckStatus, Disposal, ReceiptCheck
from canteens.schemas import ReceiptCheckCreate
from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TEST_KIND_LABELS, TestResult
from suppliers import service as supplier_service
from suppliers.models import BATCH_STATUS_LABELS
from trace.clock import local_today, local_zone
from trace.custody import Actor
from trace.db import write_transaction
from trace.deps import SessionDep, client_address
from trace.errors import DomainError, Invalid, NotFound
from trace.fields import PathId
from trace.models import User
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow
from trace.settings import get_settings
from trace.sign_in import SignInRefused, cosign_record, sign_in_check

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=500)]
FormList = Annotated[list[str], Form()]


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


# --- scanning and the check form -----------------------------------------------------------------


@router.get("/canteen/receive")
def receive(actor: allow("work.canteen"), request: Request, session: SessionDep,
            code: Annotated[str, Query(max_length=300)] = "",
            shipment: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:
    """验收: scan or type a lot code; then the expected shipment and its check form."""
    if not code.strip() and shipment is None:
        return _receive_page(request, session, actor)
    try:
        if shipment is not None:
            found = [receipt_checks.shipment_expected(session, actor=actor, shipment_id=shipment)]
        else:
            found = receipt_checks.scan_lookup(session, actor=actor, code=code)
    except DomainError as refused:
        return _receive_page(request, session, actor, code=code, status=refused.status,
                             error=_message(request, refused))
    if len(found) > 1:
        return _receive_page(request, session, actor, code=code, choices=found)
    return _receive_page(request, session, actor, code=code, expected=found[0])


def _receive_page(request: Request, session: Session, actor: Actor, *, code: str = "", status: int = 200,
                  error: str | None = None, expected: receipt_checks.ExpectedShipment | None = None,
                  choices: list[receipt_checks.ExpectedShipment] | None = None,
                  form: dict[str, object] | None = None) -> Response:
    today = local_today()
    deliveries = selectors.deliveries_of_school(session, actor.school_id, today=today)
    context: dict[str, object] = {}
    if expected is not None:
        context = _check_form_context(session, expected, form)
    door_page = expected is None and not choices  # the page a scan starts from, kept for offline use
    door = door_forms(request, session, actor.school_id, today) if door_page else []
    return render_page(
        request, "canteens/receive.html", status=status, code=code, error=error, expected=expected,
        choices=choices or [], today=today, school=service.school_get(session, actor.school_id),
        due=deliveries.today + deliveries.overdue, arrival_labels=selectors.ARRIVAL_LABELS,
        status_labels=BATCH_STATUS_LABELS, pending=pending_checks(session, actor.school_id), door=door, door_page=door_page,
        online_check=context, **context)


@dataclass
class DoorForm:
    """One of today's expected deliveries with its check form, carried by the page so that a scan
    opens it on the phone without a network; or, for a delivery the door may not accept (held,
    expired, a supplier barred), the message a scan would have given online."""

    expected: receipt_checks.ExpectedShipment
    context: dict[str, object]
    refusal: str | None


def door_forms(request: Request, session: Session, school_id: int, today: date) -> list[DoorForm]:
    """Today's expected deliveries of the school, each with its form (the offline page, issue 12 §6)."""
    found = []
    for expected in receipt_checks.expected_deliveries(session, school_id, today=today):
        refusal = None
        try:
            supplier_service.batch_assert_movable(expected.batch, today, doing_zh="验收入库", doing_en="accepted")
            supplier_service.supplier_assert_may_supply(session, expected.supplier, today)
        except DomainError as refused:
            refusal = _message(request, refused)
        context = {} if refusal or expected.open_check_id else _check_form_context(session, expected, None)
        found.append(DoorForm(expected, context, refusal))
    return found


def _check_form_context(session: Session, expected: receipt_checks.ExpectedShipment,
                        form: dict[str, object] | None) -> dict[str, object]:
    product = expected.product
    kind = product.rapid_test if product.rapid_test in rapid_tests.RAPID_TESTS else None
    settings = get_settings()
    if form is None:
        form = {"accepted_quantity": f"{expected.outstanding.normalize():f}", "rejected_quantity": "",
                "rejection_reason": "", "rejected_disposal": "", "arrival_temperature_celsius": "",
                "certificates_checked": [], "rapid_test_value": "", "rapid_test_retests": []}
    return {
        "form": form, "limits": supplier_service.arrival_limits(product),
        "certificates": supplier_service.certificates_of(session, expected.batch.id),
        "required_papers": supplier_service.product_required_papers(product),
        "rapid_test": rapid_tests.RAPID_TESTS[kind] if kind else None,
        "rapid_test_label": TEST_KIND_LABELS.get(kind) if kind else None,
        "positive_threshold": (settings.enzyme_inhibition_positive_percent
                               if kind == rapid_tests.ENZYME_INHIBITION else
                               settings.clenbuterol_positive_below_tc_ratio),
        "enzyme": kind == rapid_tests.ENZYME_INHIBITION, "retests": settings.rapid_test_retests,
        "disposals": list(Disposal), "disposal_labels": DISPOSAL_LABELS,
    }


def pending_checks(session: Session, school_id: int) -> list[dict[str, object]]:
    """The school's checks waiting for a second checker, with what a person reads of them."""
    checks = receipt_checks.checks_of_school(session, school_id, status=CheckStatus.open, limit=50)
    batches = supplier_service.batches_by_id(session, {c.batch_id for c in checks})
    products = selectors.products_named(session, {b.product_id for b in batches.values()})
    people = _names(session, {c.opened_by for c in checks})
    return [{"check": c, "batch": batches[c.batch_id], "product": products[batches[c.batch_id].product_id],
             "opened_by": people.get(c.opened_by, ""), "opened_at": c.opened_at.astimezone(local_zone())}
            for c in checks]


def _names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    return {user.id: user.display_name for user in (session.get(User, i) for i in user_ids if i) if user}


@router.post("/canteen/receipt-checks")
def check_open(actor: allow("work.canteen"), request: Request, session: SessionDep, shipment_id: FormText = "",
               accepted_quantity: FormText = "", rejected_quantity: FormText = "", unit: FormText = "",
               rejection_reason: FormText = "", rejected_disposal: FormText = "",
               arrival_temperature_celsius: FormText = "", certificates_checked: FormList = (),  # type: ignore[assignment]
               rapid_test_value: FormText = "", rapid_test_retests: FormList = (),  # type: ignore[assignment]
               receipt_date: FormText = "") -> Response:
    """Open the check from the form, then on to the check's page (post/redirect/get)."""
    form: dict[str, object] = {
        "accepted_quantity": accepted_quantity, "rejected_quantity": rejected_quantity,
        "rejection_reason": rejection_reason, "rejected_disposal": rejected_disposal,
        "arrival_temperature_celsius": arrival_temperature_celsius,
        "certificates_checked": list(certificates_checked)[:20], "rapid_test_value": rapid_test_value,
        "rapid_test_retests": [v[:20] for v in list(rapid_test_retests)[:5]]}
    try:
        expected = receipt_checks.shipment_expected(session, actor=actor, shipment_id=_whole(shipment_id))
    except DomainError as refused:
        return _receive_page(request, session, actor, status=refused.status, error=_message(request, refused))
    try:
        data = _check_from_form(expected, form, unit=unit, receipt_date=receipt_date)
        with write_transaction(session):
            check = receipt_checks.check_open(session, actor=actor, data=data)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _receive_page(request, session, actor, status=refused.status, error=_message(request, refused),
                             expected=expected, form=form)
    return see_other(f"/canteen/receipt-checks/{check.id}")


def _whole(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if not 1 <= value < 2**31:
        raise Invalid("shipment_required", "请先扫描或选择要验收的货", "Scan or choose the delivery to receive first")
    return value


def _number(text: object, *, zh: str, en: str) -> Decimal | None:
    text = str(text).strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise Invalid("form_number_invalid", f"{zh}须为数字", f"The {en} must be a number")
    return number


def _check_from_form(expected: receipt_checks.ExpectedShipment, form: dict[str, object], *, unit: str,
                     receipt_date: str) -> ReceiptCheckCreate:
    accepted = _number(form["accepted_quantity"], zh="验收数量", en="accepted quantity") or Decimal(0)
    rejected = _number(form["rejected_quantity"], zh="拒收数量", en="rejected quantity") or Decimal(0)
    temperature = _number(form["arrival_temperature_celsius"], zh="到货温度", en="arrival temperature")
    reading = _number(form["rapid_test_value"], zh="快检检测值", en="rapid test reading")
    retests = [r for r in (_number(v, zh="复检检测值", en="re-test reading")
                           for v in form["rapid_test_retests"]) if r is not None]  # type: ignore[attr-defined]
    try:
        day = date.fromisoformat(receipt_date.strip()) if receipt_date.strip() else local_today()
    except ValueError:
        day = local_today()
    try:
        return ReceiptCheckCreate(
            shipment_id=expected.shipment.id, accepted_quantity=accepted, rejected_quantity=rejected,
            unit=unit.strip() or expected.shipment.unit, rejection_reason=str(form["rejection_reason"]).strip(),
            rejected_disposal=str(form["rejected_disposal"]) or None,
            arrival_temperature_celsius=float(temperature) if temperature is not None else None,
            certificates_checked=form["certificates_checked"], rapid_test_value=reading,
            rapid_test_retests=retests, receipt_date=day)
    except ValidationError as invalid:
        raise Invalid("receipt_check_form_invalid",
                      "请填写验收或拒收数量（不能为负，最多三位小数），温度在 -60 至 60 ℃ 之间，检测值不能为负",
                      "Enter an accepted or rejected quantity (not negative, at most three decimals), a "
                      "temperature between -60 and 60 °C and readings that are not negative") from invalid


# --- the check: confirm or withdraw ----------------------------------------------------------------


def _check_for_staff(session: Session, actor: Actor, check_id: int) -> ReceiptCheck:
    check = session.get(ReceiptCheck, check_id)
    if check is None or check.school_id != actor.school_id:
        raise NotFound("receipt_check_not_found", f"验收单 {check_id} 不存在", f"Receipt check {check_id} not found",
                       check_id=check_id)
    return check


@router.get("/canteen/receipt-checks/{check_id}")
def check_page(actor: allow("work.canteen"), request: Request, session: SessionDep, check_id: PathId) -> Response:
    """One check: 待第二人复核 with the confirmation and the withdrawal, or the receipt it became."""
    return _check_page(request, session, actor, _check_for_staff(session, actor, check_id))


def _check_page(request: Request, session: Session, actor: Actor, check: ReceiptCheck, *, status: int = 200,
                error: str | None = None, username: str = "") -> Response:
    session.refresh(check)
    batch = supplier_service.batch_get(session, check.batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    shipment = service.shipment_get(session, check.shipment_id)
    order, revision, line = selectors.order_line_of(session, shipment.order_line_id)
    tests = []
    if check.rapid_test_id is not None:
        first = session.get(TestResult, check.rapid_test_id)
        tests = [first, *inspection_service.retests_of(session, first.id)]
    receipt = receipt_checks.receipt_of_check(session, check.id)
    people = _names(session, {check.opened_by, check.closed_by})
    return render_page(
        request, "canteens/receipt_check.html", status=status, check=check, batch=batch, product=product,
        shipment=shipment, order=order, line=line, supplier=supplier_service.supplier_get(session, batch.supplier_id),
        receipt=receipt, people=people, papers=json.loads(check.certificates_checked), tests=tests,
        verdict_labels=rapid_tests.VERDICT_LABELS, test_kind_labels=TEST_KIND_LABELS,
        status_labels=CHECK_STATUS_LABELS, disposal_labels=DISPOSAL_LABELS, limits=supplier_service.arrival_limits(product),
        zone=local_zone(), error=error, username=username, opened_by_me=check.opened_by == actor.user_id)


@router.post("/canteen/receipt-checks/{check_id}/confirm")
def check_confirm(actor: allow("work.canteen"), request: Request, session: SessionDep, check_id: PathId,
                  username: Annotated[str, Form(max_length=64)] = "",
                  password: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The second checker confirms: their username and password on this phone, or themselves signed in."""
    check = _check_for_staff(session, actor, check_id)
    second: Actor | SignInRefused = actor
    checked = None
    if username.strip() or password:
        # Verified (argon2 takes its time) before SQLite's write lock is taken, as a sign-in.
        checked = sign_in_check(session, username=username, password=password,
                                client_address=client_address(request))
    try:
        with write_transaction(session):
            if checked is not None:
                person = cosign_record(session, checked, what=f"receipt_check:{check.id}")
                if isinstance(person, SignInRefused):
                    session.commit()  # the failure counts
                    raise person
                second = Actor.of(person)
            receipt_checks.check_confirm(session, actor=second, check_id=check.id)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _check_page(request, session, actor, check, status=refused.status, error=_message(request, refused),
                           username=username.strip())
    return see_other(f"/canteen/receipt-checks/{check.id}")


@router.post("/canteen/receipt-checks/{check_id}/withdraw")
def check_withdraw(actor: allow("work.canteen"), request: Request, session: SessionDep, check_id: PathId,
                   reason: FormText = "") -> Response:
    """Withdraw the check with a reason; the delivery may be checked again."""
    check = _check_for_staff(session, actor, check_id)
    try:
        with write_transaction(session):
            receipt_checks.check_withdraw(session, actor=actor, check_id=check.id, reason=reason)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _check_page(request, session, actor, check, status=refused.status, error=_message(request, refused))
    return see_other(f"/canteen/receipt-checks/{check.id}")
