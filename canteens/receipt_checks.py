"""Receiving by scan with two-person acceptance (双人或多人联检, domain.md §3.4, §8.5).

A canteen staff member scans or types a lot code (``scan_lookup``), checks the goods and
opens a check (``check_open``: the first checker's 验收单). It counts for nothing until a
*different* canteen staff member of the *same* school confirms it with their own credentials
(``check_confirm``): only then is the receipt written, through ``deliveries.receipt_create``
(the one place a receipt is written), and only then do stock, the shipment's totals and the
trace move. An open check may be withdrawn with a reason (``check_withdraw``).

Every gate of a receipt is decided when the check opens, so the first checker learns at once,
and again under the locks when it is confirmed: a hold that arrived in between refuses the
confirmation and nothing is written. One check is open per shipment at a time, held by the
database (``receipt_check.open_shipment_id`` is unique) and decided after the batch's lock, so
two staff scanning at once get one check, and the second is told to confirm it instead.

Beside the quantities a check records:

- a disposal for anything rejected: returned or destroyed on the spot (当场退回或销毁, §3.4);
  its quantity is the rejected quantity;
- the papers ticked as seen (索证索票): accepting anything needs every paper the product's
  set asks for (``suppliers.certificates``), each on file with the lot;
- the arrival temperature of cold-chain goods: out of range is flagged on the check and
  refuses acceptance with the catalogue's message; rejecting needs a reason;
- the product's rapid test (§4.1), read before acceptance. How re-tests fit:

  1. a check that accepts anything of a product that names a rapid test carries a reading
     (``rapid_test_value``); the verdict is computed from it (``inspections.rapid_tests``),
     never typed;
  2. the readings are recorded (``inspections.service.test_result_record``) when the check
     opens: the first as a first test, and ``rapid_test_retests`` as its re-tests by the same
     method, each pointing at it. If this lot already has, at this school since the shipment
     left, a first positive still awaiting its re-tests (a rejection check withdrawn after
     it), the readings are that positive's re-tests instead: testing again does not wipe out
     a positive;
  3. acceptance is refused while any first positive of the lot at this school since the
     shipment left awaits re-tests (``rapid_test_retest_required``) or counts, every re-test
     positive (``rapid_test_positive``): then the goods are rejected, destroyed or returned,
     and the hold is the inspectors' (§4.2). A refusal writes nothing, the readings neither:
     the staff re-test on the spot and submit the readings again with their re-tests, or turn
     the goods away. A first positive that a re-test did not repeat does not count (§4.1);
  4. a check that accepts nothing (all rejected) may carry readings or none;
  5. confirmation decides the standing again from the recorded tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from canteens import deliveries
from canteens.models import (
    CheckStatus,
    Disposal,
    OrderLine,
    OrderRevision,
    PurchaseOrder,
    Receipt,
    ReceiptCheck,
    Shipment,
)
from canteens.schemas import ReceiptCheckCreate, ReceiptCreate
from canteens.schools import assert_acts_for_school
from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TestResult
from suppliers import service as supplier_service
from suppliers.certificates import alternatives
from suppliers.models import Batch, Product, Supplier
from trace.clock import local_today, local_zone
from trace.custody import Actor
from trace.db import run_prebuilt, utcnow
from trace.digital_link import parse_digital_link
from trace.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from trace.settings import get_settings

# --- opening a check ---------------------------------------------------------------------------


def check_open(session: Session, *, actor: Actor, data: ReceiptCheckCreate,
               occurred_at: datetime | None = None) -> ReceiptCheck:
    """The first checker's 验收单: every gate of a receipt decided now, nothing counted yet.

    ``occurred_at`` is when it happened on the device (offline sync); None is now.
    """
    at = occurred_at or utcnow()
    # The batch lock (taken by the gates) orders this with every other check of the shipment.
    gates = deliveries.receipt_gates(session, actor=actor, data=_as_receipt(data))
    deliveries.receipt_assert_within_shipment(gates)
    _assert_no_open_check(session, gates.shipment.id)
    _assert_disposal(data.rejected_disposal, gates.rejected)
    papers = _assert_papers_ticked(session, gates, data.certificates_checked)
    rapid_test_id = _door_rapid_tests(session, actor=actor, gates=gates, data=data, tested_at=at)
    columns = ReceiptCheck.model_validate(dict(
        shipment_id=gates.shipment.id, batch_id=gates.batch.id, school_id=gates.shipment.school_id,
        status=CheckStatus.open, open_shipment_id=gates.shipment.id,
        accepted_quantity=data.accepted_quantity, rejected_quantity=data.rejected_quantity, unit=data.unit,
        rejection_reason=data.rejection_reason.strip(),
        rejected_disposal=data.rejected_disposal.value if data.rejected_disposal and gates.rejected > 0 else None,
        arrival_temperature_celsius=data.arrival_temperature_celsius,
        temperature_out_of_range=temperature_out_of_range(gates.product, data.arrival_temperature_celsius),
        certificates_checked=json.dumps(papers, ensure_ascii=False), rapid_test_id=rapid_test_id,
        receipt_date=data.receipt_date, opened_by=actor.user_id, opened_at=at, recorded_at=utcnow(),
    )).model_dump(exclude={"id"})
    try:
        with session.begin_nested():
            return run_prebuilt(session, _INSERT_CHECK, columns).one()
    except IntegrityError:
        # The batch lock orders checks of one shipment, so this is the database's backstop.
        _assert_no_open_check(session, gates.shipment.id)
        raise


# A check is written and moved with Core statements and handed back as the row the database
# returned (as receipts are, canteens.deliveries): nothing of it is left in the session.
_CHECKS = ReceiptCheck.__table__
_INSERT_CHECK = insert(_CHECKS).returning(*_CHECKS.c)
_OPEN_CHECK_OF = select(_CHECKS.c.id, _CHECKS.c.opened_at).where(_CHECKS.c.open_shipment_id == bindparam("shipment_id"))
_LOCK_CHECK = select(_CHECKS).where(_CHECKS.c.id == bindparam("check_id")).with_for_update()
_CLOSE_CHECK = (update(_CHECKS).where(_CHECKS.c.id == bindparam("check_id"))
                .values(status=bindparam("status"), open_shipment_id=None, closed_by=bindparam("closed_by"),
                        closed_at=bindparam("closed_at"), withdraw_reason=bindparam("reason"))
                .returning(*_CHECKS.c))


def _as_receipt(data: ReceiptCheckCreate | ReceiptCheck) -> ReceiptCreate:
    return ReceiptCreate(shipment_id=data.shipment_id, accepted_quantity=data.accepted_quantity,
                         rejected_quantity=data.rejected_quantity, unit=data.unit,
                         rejection_reason=data.rejection_reason,
                         arrival_temperature_celsius=data.arrival_temperature_celsius, receipt_date=data.receipt_date)


def _assert_no_open_check(session: Session, shipment_id: int) -> None:
    found = run_prebuilt(session, _OPEN_CHECK_OF, {"shipment_id": shipment_id}).first()
    if found is not None:
        at = found.opened_at.astimezone(local_zone())
        raise Conflict("receipt_check_already_open",
                       f"这批货已有一张待复核的验收单（{at:%H:%M} 开具）：请第二人复核该验收单，不要重复验收",
                       f"This delivery already has a check awaiting its second checker (opened at {at:%H:%M}): "
                       "confirm that check instead of opening another", check_id=found.id, shipment_id=shipment_id)


def _assert_disposal(disposal: Disposal | None, rejected: Decimal) -> None:
    """Rejected goods are returned or destroyed on the spot (§3.4); the disposal's quantity is the rejected one."""
    if rejected > 0 and disposal is None:
        raise Invalid("rejected_disposal_required", "拒收的货物须注明当场退回还是销毁",
                      "Say whether the rejected goods were returned or destroyed on the spot")
    if rejected == 0 and disposal is not None:
        raise Invalid("rejected_disposal_without_rejection", "没有拒收数量，不需要填写退回或销毁",
                      "Nothing was rejected: there is nothing to return or destroy")


def _assert_papers_ticked(session: Session, gates: deliveries.ReceiptGates, ticked: list[str]) -> list[str]:
    """索证索票: each ticked paper is on file with the lot; accepting needs every paper the product asks for."""
    papers = list(dict.fromkeys(name.strip() for name in ticked if name.strip()))
    on_file = supplier_service.batch_paper_kinds(session, gates.batch.id)
    unknown = [name for name in papers if name not in on_file]
    if unknown:
        raise Invalid("certificate_not_on_file", f"该批次没有登记这些证明：{'、'.join(unknown)}",
                      f"The lot has no such papers on file: {', '.join(unknown)}", unknown=unknown)
    if gates.accepted > 0:
        missing = [req for req in supplier_service.product_required_papers(gates.product)
                   if set(alternatives(req)).isdisjoint(papers)]
        if missing:
            raise Invalid("certificates_not_checked",
                          f"验收前须查验并勾选：{'、'.join(missing)}（索证索票）",
                          f"Check and tick these papers before accepting: {', '.join(missing)}",
                          missing=missing)
    return papers


def temperature_out_of_range(product: Product, celsius: float | None) -> bool:
    """Whether a cold-chain arrival temperature is outside the product's limits (flagged on the check)."""
    limits = supplier_service.arrival_limits(product)
    if limits is None or celsius is None:
        return False
    return celsius > limits.max_celsius or (limits.min_celsius is not None and celsius < limits.min_celsius)


# --- rapid tests at the door -------------------------------------------------------------------


def _door_rapid_tests(session: Session, *, actor: Actor, gates: deliveries.ReceiptGates, data: ReceiptCheckCreate,
                      tested_at: datetime) -> int | None:
    """Record the readings (see the module's docstring, steps 1–4); the check's first test's id."""
    kind, product = gates.product.rapid_test, gates.product
    readings = ([data.rapid_test_value] if data.rapid_test_value is not None else []) + list(data.rapid_test_retests)
    if data.rapid_test_value is None and data.rapid_test_retests:
        raise Invalid("rapid_test_value_required", "请先填写初检的检测值，再填写复检值",
                      "Give the first reading before its re-tests")
    if kind not in rapid_tests.RAPID_TESTS:
        if readings:
            raise Invalid("rapid_test_not_called_for", f"“{product.name}”不需要快检", f"{product.name} has no rapid test")
        return None
    if gates.accepted > 0 and not readings:
        name = rapid_tests.RAPID_TESTS[kind].name_zh
        raise Invalid("rapid_test_required", f"“{product.name}”须在验收前做{name}：请填写检测值",
                      f"{product.name} needs its rapid test before acceptance: enter the reading", kind=kind)
    school_id, since = gates.shipment.school_id, _start_of(gates.shipment.ship_date)
    first = _pending_positive(session, gates.batch.id, school_id, kind, since)
    for value in readings:
        recorded = inspection_service.test_result_record(
            session, actor=actor, batch_id=gates.batch.id, school_id=school_id, kind=kind, value=value,
            tested_at=tested_at, retest_of_id=first)
        first = first or recorded.id
    if gates.accepted > 0:
        assert_rapid_tests_clear(session, gates.batch.id, school_id, product, since)
    return first


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=local_zone())


_TESTS = TestResult.__table__
# Every rapid test of one kind of a lot at a school since a moment: first tests and their re-tests.
_DOOR_TESTS = (select(_TESTS.c.id, _TESTS.c.verdict, _TESTS.c.retest_of_id)
               .where(_TESTS.c.batch_id == bindparam("batch_id"), _TESTS.c.school_id == bindparam("school_id"),
                      _TESTS.c.kind == bindparam("kind"), _TESTS.c.tested_at >= bindparam("since"))
               .order_by(_TESTS.c.tested_at, _TESTS.c.id))


def _standings(session: Session, batch_id: int, school_id: int, kind: str,
               since: datetime) -> list[tuple[int, rapid_tests.Standing, int]]:
    """Each first test of the lot at the school since ``since``: (its id, where it stands, its re-tests)."""
    rows = run_prebuilt(session, _DOOR_TESTS, {"batch_id": batch_id, "school_id": school_id, "kind": kind,
                                                "since": since}).all()
    retests: dict[int, list[rapid_tests.Verdict]] = {row.id: [] for row in rows if row.retest_of_id is None}
    for row in rows:
        if row.retest_of_id in retests:
            retests[row.retest_of_id].append(rapid_tests.Verdict(row.verdict))
    first = {row.id: rapid_tests.Verdict(row.verdict) for row in rows if row.retest_of_id is None}
    required = get_settings().rapid_test_retests
    return [(test_id, rapid_tests.standing(first[test_id], found, required), len(found))
            for test_id, found in retests.items()]


def _pending_positive(session: Session, batch_id: int, school_id: int, kind: str, since: datetime) -> int | None:
    pending = [test_id for test_id, standing, _ in _standings(session, batch_id, school_id, kind, since)
               if standing == rapid_tests.Standing.awaiting_retest]
    return pending[-1] if pending else None


def assert_rapid_tests_clear(session: Session, batch_id: int, school_id: int, product: Product,
                             since: datetime) -> None:
    """No first positive of the lot at this school awaits its re-tests or counts (step 3)."""
    kind = product.rapid_test
    if kind not in rapid_tests.RAPID_TESTS:
        return
    required = get_settings().rapid_test_retests
    for test_id, standing, done in _standings(session, batch_id, school_id, kind, since):
        if standing == rapid_tests.Standing.counts:
            raise Conflict("rapid_test_positive",
                           f"“{product.name}”快检阳性，同法复检仍为阳性：不得验收。请整批拒收（退回或销毁），"
                           "并报告市场监管部门，批次待实验室确证",
                           f"{product.name} tested positive and every re-test agreed: it may not be accepted. "
                           "Reject it all (returned or destroyed) and report it; a laboratory confirms",
                           test_result_id=test_id)
        if standing == rapid_tests.Standing.awaiting_retest:
            left = required - done
            raise Conflict("rapid_test_retest_required",
                           f"“{product.name}”快检阳性（待确证）：不得验收。请用同一方法再复检 {left} 次"
                           f"（共 {required} 次，全部阳性才判为阳性），或整批拒收（退回或销毁）",
                           f"{product.name} tested positive (to be confirmed): it may not be accepted. Re-test it "
                           f"{left} more time(s) by the same method, or reject it all",
                           test_result_id=test_id, retests_left=left)


# --- confirming and withdrawing ------------------------------------------------------------------


def check_get(session: Session, check_id: int) -> ReceiptCheck:
    check = session.get(ReceiptCheck, check_id)
    if check is None:
        raise _check_not_found(check_id)
    return check


def _check_not_found(check_id: int) -> NotFound:
    return NotFound("receipt_check_not_found", f"验收单 {check_id} 不存在", f"Receipt check {check_id} not found",
                    check_id=check_id)


def _lock_check(session: Session, check_id: int) -> Row[Any]:
    """The check, locked and read fresh: a confirmation and a withdrawal of it wait for each other.
    Lock order (trace.locking): a check's row before its batch."""
    check = run_prebuilt(session, _LOCK_CHECK, {"check_id": check_id}).first()
    if check is None:
        raise _check_not_found(check_id)
    return check


def _assert_open(check: ReceiptCheck) -> None:
    if check.status != CheckStatus.open:
        done_zh, done_en = ("已复核确认", "confirmed") if check.status == CheckStatus.confirmed else ("已撤回", "withdrawn")
        raise Conflict("receipt_check_closed", f"验收单 {check.id} {done_zh}，不能再操作",
                       f"Receipt check {check.id} is already {done_en}", check_id=check.id, check_status=check.status.value)


def check_confirm(session: Session, *, actor: Actor, check_id: int,
                  occurred_at: datetime | None = None) -> Any:
    """A second canteen staff member of the same school confirms the check: the receipt is written."""
    check = _lock_check(session, check_id)
    if actor.role != "canteen_staff" or actor.school_id != check.school_id:
        raise Forbidden("second_checker_not_of_school", "复核人须为本校的食堂人员",
                        "The second checker must be canteen staff of the same school", check_id=check.id)
    _assert_open(check)
    if actor.user_id == check.opened_by:
        raise Forbidden("second_checker_required",
                        "双人联检：须由另一名本校食堂人员复核确认，开单人不能自己确认",
                        "Two people check a delivery: another canteen staff member of the school confirms it, "
                        "not the one who opened the check", check_id=check.id)
    at = occurred_at or utcnow()
    papers = tuple(json.loads(check.certificates_checked))
    if check.accepted_quantity > 0 and check.rapid_test_id is not None:
        # The rapid tests' standing, decided again under the batch's lock (receipt_create takes it again).
        batch = supplier_service.batch_lock(session, check.batch_id)
        assert_rapid_tests_clear(session, check.batch_id, check.school_id,
                                 supplier_service.product_get(session, batch.product_id),
                                 _start_of(deliveries.shipment_get(session, check.shipment_id).ship_date))
    receipt = deliveries.receipt_create(
        session, actor=actor, data=_as_receipt(check), occurred_at=at,
        check=deliveries.TwoPersonCheck(check_id=check.id, opened_by=check.opened_by,
                                        rejected_disposal=check.rejected_disposal, certificates_checked=papers,
                                        rapid_test_id=check.rapid_test_id))
    _close(session, check, CheckStatus.confirmed, actor, at)
    return receipt


def check_withdraw(session: Session, *, actor: Actor, check_id: int, reason: str,
                   occurred_at: datetime | None = None) -> Row[Any]:
    """Give up an open check, with a reason (nothing of it counted); the shipment may be checked again."""
    check = _lock_check(session, check_id)
    assert_acts_for_school(actor, check.school_id)
    if actor.role not in ("canteen_staff", "admin"):
        raise Forbidden("role_not_allowed", "只有食堂人员可以撤回验收单", "Only canteen staff may withdraw a check")
    _assert_open(check)
    if len(reason.strip()) < 2:
        raise Invalid("withdraw_reason_required", "撤回验收单须填写原因", "Give a reason for withdrawing the check")
    return _close(session, check, CheckStatus.withdrawn, actor, occurred_at or utcnow(), reason.strip()[:500])


def _close(session: Session, check: Row[Any], status: CheckStatus, actor: Actor, at: datetime,
           reason: str = "") -> Row[Any]:
    closed = run_prebuilt(session, _CLOSE_CHECK, {"check_id": check.id, "status": status,
                                                  "closed_by": actor.user_id, "closed_at": at,
                                                  "reason": reason}).one()
    loaded = session.identity_map.get((ReceiptCheck, (check.id,), None))
    if loaded is not None:  # a reader's copy in this session (a page's, an API dependency's)
        session.expire(loaded)
    return closed


# --- reading checks ---------------------------------------------------------------------------


def receipt_of_check(session: Session, check_id: int) -> Receipt | None:
    return session.execute(select(Receipt).where(Receipt.check_id == check_id)).scalar_one_or_none()


def checks_of_school(session: Session, school_id: int, *, status: CheckStatus | None = None,
                     limit: int = 100, offset: int = 0) -> list[ReceiptCheck]:
    """A school's receipt checks, newest first; ``status`` open lists those awaiting a second checker."""
    statement = select(ReceiptCheck).where(ReceiptCheck.school_id == school_id)
    if status is not None:
        statement = statement.where(ReceiptCheck.status == status)
    statement = statement.order_by(ReceiptCheck.opened_at.desc(), ReceiptCheck.id.desc()).limit(limit).offset(offset)
    return list(session.execute(statement).scalars())


# --- what is expected at the door, and scanning ---------------------------------------------------


@dataclass
class ExpectedShipment:
    """A shipment to the school still to receive, against its order line."""

    shipment: Shipment
    batch: Batch
    product: Product
    supplier: Supplier
    order: PurchaseOrder
    revision: OrderRevision
    line: OrderLine
    open_check_id: int | None
    today: date

    @property
    def outstanding(self) -> Decimal:
        return self.shipment.quantity - self.shipment.accounted_quantity

    @property
    def days_to_expiry(self) -> int:
        return (self.batch.expiry_date - self.today).days


def _expected(session: Session, school_id: int, *conditions: Any, today: date) -> list[ExpectedShipment]:
    rows = session.execute(
        select(Shipment, Batch, Product, Supplier, PurchaseOrder, OrderRevision, OrderLine)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(Product, Product.id == Batch.product_id)
        .join(Supplier, Supplier.id == Batch.supplier_id)
        .join(OrderLine, OrderLine.id == Shipment.order_line_id)
        .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
        .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
        .where(Shipment.school_id == school_id, Shipment.accounted_quantity < Shipment.quantity, *conditions)
        .order_by(OrderRevision.delivery_date, Shipment.ship_date, Shipment.id)
        .execution_options(populate_existing=True)
    ).all()
    open_checks = dict(session.execute(
        select(ReceiptCheck.shipment_id, ReceiptCheck.id).where(
            ReceiptCheck.open_shipment_id.in_([row[0].id for row in rows]))).all()) if rows else {}
    return [ExpectedShipment(*row, open_check_id=open_checks.get(row[0].id), today=today) for row in rows]


def expected_deliveries(session: Session, school_id: int, *, today: date | None = None) -> list[ExpectedShipment]:
    """Shipments on their way to the school, due today or before, still to receive (what the door expects)."""
    today = today or local_today()
    return _expected(session, school_id, OrderRevision.delivery_date <= today, Shipment.ship_date <= today,
                     today=today)


# A lot code as GS1 element strings print it under a barcode: (01)GTIN(10)LOT.
_ELEMENT_STRING = re.compile(r"^\(01\)(\d{8,14})\(10\)([^()]{1,20})")


def _lot_key(code: str) -> tuple[str | None, str]:
    """What a scan or a typed code names: (GTIN-14 or None, lot)."""
    code = code.strip()
    if not code:
        raise Invalid("scan_code_required", "请扫描或输入批号", "Scan or type a lot code")
    if "/01/" in code:
        key = parse_digital_link(code)
        return key.gtin14, key.lot
    if match := _ELEMENT_STRING.match(code):
        key = parse_digital_link(f"/01/{match.group(1)}/10/{match.group(2)}")
        return key.gtin14, key.lot
    if len(code) > 20:
        raise Invalid("scan_code_invalid", "无法识别扫描内容：请扫描批次标签上的二维码，或输入批号",
                      "The scanned text is not a lot code or a batch label's QR: scan the label or type the lot")
    return None, code


def scan_lookup(session: Session, *, actor: Actor, code: str, school_id: int | None = None) -> list[ExpectedShipment]:
    """A lot code, GS1 Digital Link or label QR → the shipments of that lot the school still has to receive.

    Refused, with nothing recorded: an unknown lot (404); one not shipped to this school, already
    received, expired, held or recalled, or from a supplier without a valid licence, suspended or
    on the dishonest list (409).
    """
    school_id = school_id if school_id is not None else actor.school_id
    if school_id is None:
        raise Invalid("school_required", "请指定学校", "Name the school")
    assert_acts_for_school(actor, school_id)
    gtin, lot = _lot_key(code)
    wanted = (Batch.gtin == gtin, Batch.lot_code == lot) if gtin else (Batch.lot_code.in_({lot, lot.upper()}),)
    batch_ids = list(session.execute(select(Batch.id).where(*wanted)).scalars())
    if not batch_ids:
        raise NotFound("lot_not_found", f"没有找到批号 {lot} 的批次：请核对标签", f"No batch has lot {lot}: check the label",
                       lot_code=lot)
    sent_here = session.execute(select(Shipment.id, Shipment.accounted_quantity, Shipment.quantity).where(
        Shipment.batch_id.in_(batch_ids), Shipment.school_id == school_id)).all()
    if not sent_here:
        raise Conflict("lot_not_shipped_here", f"批号 {lot} 的货没有发往本校：不得验收，请联系供应商",
                       f"Lot {lot} was not shipped to this school: do not accept it; call the supplier", lot_code=lot)
    today = local_today()
    found = _expected(session, school_id, Shipment.batch_id.in_(batch_ids), today=today)
    if not found:
        raise Conflict("shipment_already_received", f"批号 {lot} 发往本校的货已验收完毕",
                       f"What was shipped of lot {lot} to this school has been received already", lot_code=lot)
    usable, refusal = [], None
    for expected in found:
        try:
            supplier_service.batch_assert_movable(expected.batch, today, doing_zh="验收入库", doing_en="accepted")
            supplier_service.supplier_assert_may_supply(session, expected.supplier, today)
        except DomainError as refused:
            refusal = refusal or refused
        else:
            usable.append(expected)
    if not usable:
        raise refusal  # type: ignore[misc]
    return usable


def shipment_expected(session: Session, *, actor: Actor, shipment_id: int) -> ExpectedShipment:
    """One shipment of the actor's school still to receive (the page opens it from today's deliveries)."""
    shipment = deliveries.shipment_get(session, shipment_id)
    if not (actor.role == "admin" or actor.school_id == shipment.school_id):
        raise NotFound("shipment_not_found", f"发货单 {shipment_id} 不存在", f"Shipment {shipment_id} not found",
                       shipment_id=shipment_id)
    found = _expected(session, shipment.school_id, Shipment.id == shipment_id, today=local_today())
    if not found:
        raise Conflict("shipment_already_received", "这批货已验收完毕", "This delivery has been received already",
                       shipment_id=shipment_id)
    return found[0]

