"""Corrections of receipts (验收) and kitchen uses (出库): a new record that names the one it corrects.

A record is never edited. A wrong receipt or use is put right by a new row pointing at it
(``receipt.corrects_receipt_id``, ``kitchen_use.corrects_use_id``) and a new custody event on the
batch's chain whose ``corrects_event_id`` is the corrected record's event, its payload the old and
the new quantities and the reason. Both records stay and are shown together; only the newest of a
chain of corrections counts (:mod:`canteens.current`).

The rules:

- **Who**: the canteen staff of the record's school, and admins. Inspectors and suppliers do not
  correct a canteen's records (an inspector's answer to a wrong record is a measure, not an edit).
- **When**: within ``TRACE_CORRECTION_WINDOW_HOURS`` (72 h by default) of when the *first* record
  of the chain was written, so correcting a correction does not stretch the window. domain.md says
  nothing on it, so it is a setting; 72 h lets a Friday's mistake be put right on Monday morning.
- **Which**: only the newest record of a chain; correcting one already corrected is a 409 naming the
  newer record. The unique index on ``corrects_…_id`` makes sure that of two corrections of the same
  record at once only one is written (the batch lock already serializes them; the index is the floor).
- **What**: the whole new quantities, with a reason; a correction that changes nothing is refused.
  A receipt keeps its shipment, date and arrival temperature; a use its date, meal and dish (a use
  into the wrong meal or lot is corrected to 0 and recorded again).
- **Quantities re-checked**, by the difference, with the same conditional UPDATEs as the first
  record: a shipment's accepted plus rejected never exceeds what was shipped; a canteen's received
  stock never falls below what was already used (you cannot un-receive what the kitchen took: 409
  with the numbers); its used stock never exceeds what was received, nor falls below 0.
- **Gates**, after the batch lock (trace.locking): accepting more of a held, recalled or expired
  batch, or of a supplier that may not supply, or goods whose papers or temperature fail, is refused
  as the acceptance itself would be; using more of a held, recalled or expired batch is refused as a
  use would be. Taking quantities back (accepting or using less) is always allowed: that is what a
  correction after a hold is for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlmodel import Session

from canteens import receiving
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.deliveries import _GROW_ACCOUNTED, _stock_add
from canteens.kitchen import _GROW_USED
from canteens.models import MEAL_LABELS, KitchenUse, Meal, Receipt, Shipment, Stock
from canteens.schools import assert_acts_for_school
from suppliers import service as supplier_service
from trace.custody import Actor, record_event, stream_of
from trace.db import Quantity, run_prebuilt, utcnow
from trace.errors import Conflict, Forbidden, Invalid, NotFound
from trace.i18n import label
from trace.settings import get_settings

_RECEIPTS, _USES, _STOCK, _SHIPMENTS = (Receipt.__table__, KitchenUse.__table__, Stock.__table__,
                                        Shipment.__table__)
_RECEIPT = select(_RECEIPTS).where(_RECEIPTS.c.id == bindparam("row_id"))
_USE = select(_USES).where(_USES.c.id == bindparam("row_id"))
_RECEIPT_CORRECTED_BY = select(_RECEIPTS.c.id).where(_RECEIPTS.c.corrects_receipt_id == bindparam("row_id"))
_USE_CORRECTED_BY = select(_USES.c.id).where(_USES.c.corrects_use_id == bindparam("row_id"))
_INSERT_RECEIPT = insert(_RECEIPTS).returning(*_RECEIPTS.c)
_INSERT_USE = insert(_USES).returning(*_USES.c)
_SHIPMENT = select(_SHIPMENTS).where(_SHIPMENTS.c.id == bindparam("row_id"))
_STOCK_OF = select(_STOCK).where(_STOCK.c.school_id == bindparam("school_id"),
                                 _STOCK.c.batch_id == bindparam("batch_id"))
_AMOUNT = bindparam("amount", type_=Quantity())
# Accepting less: the received stock shrinks, never below what the kitchen already used.
_SHRINK_RECEIVED = (
    update(_STOCK)
    .where(_STOCK.c.school_id == bindparam("s_school_id"), _STOCK.c.batch_id == bindparam("s_batch_id"),
           _STOCK.c.received_quantity + _AMOUNT >= _STOCK.c.used_quantity)
    .values(received_quantity=_STOCK.c.received_quantity + _AMOUNT)
)
# Columns a correction sets itself; every other column is the corrected record's, carried over.
_RECEIPT_OWN = {"id", "accepted_quantity", "rejected_quantity", "rejection_reason", "received_by", "received_at",
                "event_id", "corrects_receipt_id", "correction_reason"}
_USE_OWN = {"id", "quantity", "used_by", "used_at", "event_id", "corrects_use_id", "correction_reason"}


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _assert_corrector(actor: Actor, school_id: int, *, doing_zh: str, doing_en: str) -> None:
    if actor.role not in ("canteen_staff", "admin"):
        raise Forbidden("role_not_allowed", f"只有本校食堂人员可以更正{doing_zh}",
                        f"Only the school's canteen staff may correct {doing_en}")
    assert_acts_for_school(actor, school_id)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise Invalid("correction_reason_required", "请填写更正原因", "Give the reason for the correction")
    return reason


def _assert_within_window(first_written: datetime, now: datetime) -> None:
    hours = get_settings().correction_window_hours
    if now > first_written + timedelta(hours=hours):
        raise Conflict("correction_window_passed",
                       f"记录已超过 {hours} 小时的更正期限，不能再更正，请联系管理员",
                       f"The record is older than the {hours}-hour correction window and can no longer be "
                       "corrected; ask an administrator", window_hours=hours,
                       first_recorded_at=first_written.isoformat())


def _first_of_chain(session: Session, statement: Any, row: Row[Any], pointer: str) -> Row[Any]:
    """The first record of a chain of corrections (the one the window counts from)."""
    while getattr(row, pointer) is not None:
        row = run_prebuilt(session, statement, {"row_id": getattr(row, pointer)}).one()
    return row


# --- receipts --------------------------------------------------------------------------------------


def receipt_correct(session: Session, *, actor: Actor, receipt_id: int, data: ReceiptCorrection,
                    occurred_at: datetime | None = None) -> Row[Any]:
    """Correct a receipt with a new one naming it; the shipment and the stock move by the difference."""
    old = run_prebuilt(session, _RECEIPT, {"row_id": receipt_id}).first()
    if old is None:
        raise NotFound("receipt_not_found", f"验收记录 {receipt_id} 不存在", f"Receipt {receipt_id} not found",
                       receipt_id=receipt_id)
    _assert_corrector(actor, old.school_id, doing_zh="验收记录", doing_en="receipts")
    reason = _reason(data.reason)
    now = utcnow()
    _assert_within_window(_first_of_chain(session, _RECEIPT, old, "corrects_receipt_id").received_at, now)
    # Locks in the order of trace.locking: the batch first; the gates and "corrected already" after it.
    batch = supplier_service.batch_lock(session, old.batch_id)
    newer = run_prebuilt(session, _RECEIPT_CORRECTED_BY, {"row_id": old.id}).scalar()
    if newer is not None:
        raise Conflict("receipt_already_corrected",
                       f"验收记录 {old.id} 已被记录 {newer} 更正，请更正最新的记录 {newer}",
                       f"Receipt {old.id} was already corrected by receipt {newer}; correct receipt {newer}",
                       receipt_id=old.id, corrected_by_receipt_id=newer)
    product = supplier_service.product_get(session, batch.product_id)
    accepted = supplier_service.to_base_unit(session, product, data.accepted_quantity, data.unit)
    rejected = supplier_service.to_base_unit(session, product, data.rejected_quantity, data.unit)
    if accepted == old.accepted_quantity and rejected == old.rejected_quantity:
        raise Invalid("correction_changes_nothing", "更正后的数量与原记录相同，无需更正",
                      "The corrected quantities are the same as the record's: nothing to correct")
    rejection_reason = (old.rejection_reason if data.rejection_reason is None else data.rejection_reason).strip()
    if rejected > 0 and not rejection_reason:
        raise Invalid("rejection_reason_required", "拒收时须填写原因", "Give a reason for the rejected quantity")
    more_accepted = accepted - old.accepted_quantity
    if more_accepted > 0:  # accepting more is an acceptance: its gates, as receipt_create decides them
        supplier_service.batch_assert_movable(batch, old.receipt_date, doing_zh="验收入库", doing_en="accepted")
        supplier_service.supplier_assert_may_supply(
            session, supplier_service.supplier_lock_for_gate(session, batch.supplier_id), old.receipt_date)
        receiving.assert_goods_acceptable(session, batch, product, old.arrival_temperature_celsius)
    more_counted = (accepted + rejected) - (old.accepted_quantity + old.rejected_quantity)
    # Both totals are decided before either moves, so a refusal leaves nothing written even inside the
    # caller's transaction. They belong to the batch, whose lock this writer holds (trace.locking), so
    # they cannot move between the check and the UPDATE; the conditional UPDATEs are the floor under it.
    shipment = run_prebuilt(session, _SHIPMENT, {"row_id": old.shipment_id}).one()
    if more_counted > 0 and shipment.accounted_quantity + more_counted > shipment.quantity:
        raise _exceeds_shipment(shipment, more_counted)
    if more_accepted < 0:
        stock = run_prebuilt(session, _STOCK_OF, {"school_id": old.school_id, "batch_id": batch.id}).one()
        if stock.received_quantity + more_accepted < stock.used_quantity:
            raise _below_used(stock, more_accepted)
    if more_counted != 0:
        moved = run_prebuilt(session, _GROW_ACCOUNTED, {"s_id": old.shipment_id, "amount": more_counted})
        _expire(session, Shipment, old.shipment_id, "accounted_quantity")
        if moved.rowcount != 1:
            raise _exceeds_shipment(run_prebuilt(session, _SHIPMENT, {"row_id": old.shipment_id}).one(), more_counted)
    if more_accepted > 0:
        _stock_add(session, school_id=old.school_id, batch_id=batch.id, amount=more_accepted, unit=product.unit)
    elif more_accepted < 0:
        shrunk = run_prebuilt(session, _SHRINK_RECEIVED,
                              {"s_school_id": old.school_id, "s_batch_id": batch.id, "amount": more_accepted})
        _expire(session, Stock, stock.id, "received_quantity")
        if shrunk.rowcount != 1:
            raise _below_used(run_prebuilt(session, _STOCK_OF, {"school_id": old.school_id,
                                                                "batch_id": batch.id}).one(), more_accepted)
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="receiving", action="OBSERVE",
        disposition="conformant" if rejected == 0 else ("non_conformant" if accepted == 0 else "partially_conformant"),
        actor=actor, subject_type="shipment", subject_id=old.shipment_id, occurred_at=occurred_at or now,
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=old.school_id, corrects_event_id=old.event_id,
        payload={"shipment_id": old.shipment_id, "corrects_receipt_id": old.id, "reason": reason,
                 "accepted_quantity": accepted, "rejected_quantity": rejected, "unit": product.unit,
                 "previous_accepted_quantity": old.accepted_quantity,
                 "previous_rejected_quantity": old.rejected_quantity, "declared_unit": data.unit,
                 "rejection_reason": rejection_reason, "receipt_date": old.receipt_date},
    )
    values = {key: value for key, value in old._mapping.items() if key not in _RECEIPT_OWN}
    return run_prebuilt(session, _INSERT_RECEIPT, {
        **values, "accepted_quantity": accepted, "rejected_quantity": rejected, "rejection_reason": rejection_reason,
        "received_by": actor.user_id, "received_at": now, "event_id": event.event_id,
        # The corrector alone writes it (with a reason): it is no second check, and the check that
        # opened the first receipt belongs to that receipt only.
        "confirmed_by": None, "check_id": None,
        "corrects_receipt_id": old.id, "correction_reason": reason}).one()


# --- kitchen uses ----------------------------------------------------------------------------------


def use_correct(session: Session, *, actor: Actor, use_id: int, data: UseCorrection,
                occurred_at: datetime | None = None) -> Row[Any]:
    """Correct a kitchen use with a new one naming it (0: it did not happen); the stock moves by the difference."""
    old = run_prebuilt(session, _USE, {"row_id": use_id}).first()
    if old is None:
        raise NotFound("use_not_found", f"出库记录 {use_id} 不存在", f"Use {use_id} not found", use_id=use_id)
    _assert_corrector(actor, old.school_id, doing_zh="出库记录", doing_en="kitchen use")
    reason = _reason(data.reason)
    now = utcnow()
    _assert_within_window(_first_of_chain(session, _USE, old, "corrects_use_id").used_at, now)
    batch = supplier_service.batch_lock(session, old.batch_id)
    newer = run_prebuilt(session, _USE_CORRECTED_BY, {"row_id": old.id}).scalar()
    if newer is not None:
        raise Conflict("use_already_corrected",
                       f"出库记录 {old.id} 已被记录 {newer} 更正，请更正最新的记录 {newer}",
                       f"Use {old.id} was already corrected by use {newer}; correct use {newer}",
                       use_id=old.id, corrected_by_use_id=newer)
    product = supplier_service.product_get(session, batch.product_id)
    quantity = supplier_service.to_base_unit(session, product, data.quantity, data.unit)
    if quantity == old.quantity:
        raise Invalid("correction_changes_nothing", "更正后的数量与原记录相同，无需更正",
                      "The corrected quantity is the same as the record's: nothing to correct")
    more_used = quantity - old.quantity
    if more_used > 0:  # using more is a use: a held, recalled or expired lot is refused as a use would be
        supplier_service.batch_assert_movable(batch, old.use_date, doing_zh="出库使用", doing_en="used")
    stock = run_prebuilt(session, _STOCK_OF, {"school_id": old.school_id, "batch_id": batch.id}).one()
    moved = run_prebuilt(session, _GROW_USED, {"s_id": stock.id, "amount": more_used})
    _expire(session, Stock, stock.id, "used_quantity")
    if moved.rowcount != 1:
        on_hand = stock.received_quantity - stock.used_quantity
        raise Conflict("quantity_exceeds_stock",
                       f"更正后出库数量超过库存（现有 {_amount(on_hand)} {stock.unit}，最多可增加 {_amount(on_hand)}）",
                       f"The corrected use exceeds what is on hand ({_amount(on_hand)} {stock.unit})",
                       requested_change=str(more_used), on_hand=str(on_hand))
    meal = Meal(old.meal)
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="dispensing", action="OBSERVE",
        disposition="available", actor=actor, subject_type="stock", subject_id=stock.id,
        occurred_at=occurred_at or now, batch_id=batch.id, supplier_id=batch.supplier_id, school_id=old.school_id,
        corrects_event_id=old.event_id,
        payload={"corrects_use_id": old.id, "reason": reason, "quantity": quantity, "previous_quantity": old.quantity,
                 "unit": product.unit, "declared_quantity": data.quantity, "declared_unit": data.unit,
                 "use_date": old.use_date, "meal": meal.value, "meal_zh": label(MEAL_LABELS[meal], "zh-CN"),
                 "dish": old.dish},
    )
    values = {key: value for key, value in old._mapping.items() if key not in _USE_OWN}
    return run_prebuilt(session, _INSERT_USE, {
        **values, "quantity": quantity, "used_by": actor.user_id, "used_at": now, "event_id": event.event_id,
        "corrects_use_id": old.id, "correction_reason": reason}).one()


def _exceeds_shipment(shipment: Row[Any], more_counted: Decimal) -> Conflict:
    remaining = shipment.quantity - shipment.accounted_quantity
    return Conflict("quantity_exceeds_shipment",
                    f"更正后验收与拒收合计超过发货数量（发货 {_amount(shipment.quantity)} {shipment.unit}，"
                    f"尚未验收 {_amount(remaining)} {shipment.unit}）",
                    f"The corrected accepted plus rejected quantity exceeds what was shipped "
                    f"({_amount(shipment.quantity)} {shipment.unit}; {_amount(remaining)} {shipment.unit} "
                    "not yet received)", requested_change=str(more_counted), remaining=str(remaining),
                    shipped=str(shipment.quantity))


def _below_used(stock: Row[Any], more_accepted: Decimal) -> Conflict:
    least = stock.received_quantity - stock.used_quantity
    return Conflict("correction_below_used",
                    f"本批次已出库 {_amount(stock.used_quantity)} {stock.unit}，已出库的不能更正为未验收"
                    f"（验收数量最多只能减少 {_amount(least)} {stock.unit}）",
                    f"{_amount(stock.used_quantity)} {stock.unit} of this lot were already used: what was "
                    f"used cannot be un-received (the accepted quantity can go down by at most "
                    f"{_amount(least)} {stock.unit})",
                    used=str(stock.used_quantity), received=str(stock.received_quantity),
                    requested_change=str(more_accepted))


def _expire(session: Session, model: type, row_id: int, attribute: str) -> None:
    # A reader's copy in this session: the total moved under it.
    loaded = session.identity_map.get((model, (row_id,), None))
    if loaded is not None:
        session.expire(loaded, [attribute])
