"""Deliveries: the supplier's shipments against order lines and the canteen's receipts (验收) at the door.

Quantity rules hold under concurrency: each running total is changed by one
conditional UPDATE (``… WHERE total + :q <= limit``), which PostgreSQL re-checks
after any row lock it waited for, and which SQLite runs inside ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlmodel import Session

from canteens import receiving
from canteens.dates import assert_date_range, dated_between, occurred_on
from canteens.models import OrderLine, OrderRevision, PurchaseOrder, Receipt, Shipment, Stock
from canteens.schemas import ReceiptCreate, ShipmentCreate
from canteens.schools import assert_acts_for_school
from suppliers import service as supplier_service
from suppliers.models import Batch
from trace.clock import assert_not_future
from trace.custody import Actor, record_event, stream_of
from trace.db import Quantity, dialect_insert, run_prebuilt
from trace.errors import Conflict, Forbidden, Invalid, NotFound

# The running totals, each moved by one conditional UPDATE. Built once on the tables
# (not the ORM classes): they compile once, and the ORM has no objects to synchronize —
# callers expire the one attribute they moved.
_BATCHES, _SHIPMENTS, _STOCK = Batch.__table__, Shipment.__table__, Stock.__table__
_AMOUNT = bindparam("amount", type_=Quantity())
_GROW_SHIPPED = (
    update(_BATCHES)
    .where(_BATCHES.c.id == bindparam("b_id"), _BATCHES.c.shipped_quantity + _AMOUNT <= _BATCHES.c.quantity)
    .values(shipped_quantity=_BATCHES.c.shipped_quantity + _AMOUNT)
)
_GROW_ACCOUNTED = (
    update(_SHIPMENTS)
    .where(_SHIPMENTS.c.id == bindparam("s_id"),
           _SHIPMENTS.c.accounted_quantity + _AMOUNT <= _SHIPMENTS.c.quantity)
    .values(accounted_quantity=_SHIPMENTS.c.accounted_quantity + _AMOUNT)
)

# Shipments and receipts are written once (a shipment's accounted total aside, moved by
# _GROW_ACCOUNTED), with Core statements, and handed back as the rows the database
# returned: plain data, never objects in the session's identity map, so nothing of them
# is left behind in the session when their transaction rolls back.
_RECEIPTS = Receipt.__table__
_INSERT_SHIPMENT = insert(_SHIPMENTS).returning(*_SHIPMENTS.c)
_INSERT_RECEIPT = insert(_RECEIPTS).returning(*_RECEIPTS.c)


# --- shipments -------------------------------------------------------------------------------


def shipment_get(session: Session, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound("shipment_not_found", f"发货单 {shipment_id} 不存在", f"Shipment {shipment_id} not found",
                       shipment_id=shipment_id)
    return shipment


def _current_order_line(session: Session, order_line_id: int) -> Row[Any]:
    """The order line a shipment is for, with its revision and its order's number, school,
    supplier and current revision (a row, plain data), read with the order share-locked:
    a revision of the order waits until this shipment is decided (lock order: trace.locking)."""
    line = run_prebuilt(session, _ORDER_LINE_LOCKING_ORDER, {"line_id": order_line_id}).first()
    if line is None:
        raise NotFound("order_line_not_found", f"订单行 {order_line_id} 不存在",
                       f"Order line {order_line_id} not found", order_line_id=order_line_id)
    if line.revision != line.current_revision:
        raise Conflict("order_line_superseded",
                       f"订单 {line.order_number} 已修订为第 {line.current_revision} 版，请按最新版本发货",
                       f"Order {line.order_number} has been revised (now revision {line.current_revision})",
                       order_number=line.order_number, current_revision=line.current_revision)
    return line


# What a shipment reads of its order line and order, and a receipt of its shipment: rows
# written once (but an order's current revision and a shipment's accounted total), read as
# plain data. The order is read under its share lock, in the same statement.
_ORDER_LINE_LOCKING_ORDER = (
    select(OrderLine.id, OrderLine.line_number, OrderLine.product_id, OrderRevision.revision,
           PurchaseOrder.id.label("order_id"), PurchaseOrder.order_number, PurchaseOrder.school_id,
           PurchaseOrder.supplier_id, PurchaseOrder.current_revision)
    .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
    .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
    .where(OrderLine.id == bindparam("line_id"))
    .with_for_update(read=True, of=PurchaseOrder.__table__)
)
_SHIPMENT = select(_SHIPMENTS).where(_SHIPMENTS.c.id == bindparam("shipment_id"))


def shipment_insert(session: Session, *, batch_id: int, school_id: int, supplier_id: int, order_line_id: int,
                    quantity: Decimal, unit: str, ship_date: date, shipped_by: int | None) -> Row[Any]:
    """Write a new shipment (nothing of it accounted for yet) and return it as written."""
    return run_prebuilt(session, _INSERT_SHIPMENT, {
        "batch_id": batch_id, "school_id": school_id, "supplier_id": supplier_id, "order_line_id": order_line_id,
        "quantity": quantity, "unit": unit, "ship_date": ship_date, "shipped_by": shipped_by}).one()


def shipment_create(session: Session, *, actor: Actor, data: ShipmentCreate,
                    occurred_at: datetime | None = None) -> Row[Any]:
    """The supplier sends part of a batch to the school of an order line."""
    # Locks in the order of trace.locking (batch, supplier, order), each gate decided after them.
    batch = supplier_service.batch_lock(session, data.batch_id)
    if actor.role == "supplier" and batch.supplier_id != actor.supplier_id:
        raise Forbidden("not_your_batch", "只能发运本供应商的批次", "You can only ship your own batches",
                        batch_id=batch.id)
    supplier = supplier_service.supplier_lock_for_gate(session, batch.supplier_id)
    line = _current_order_line(session, data.order_line_id)
    if line.supplier_id != batch.supplier_id or line.product_id != batch.product_id:
        raise Conflict("order_line_mismatch", "该批次的供应商或产品与订单行不一致",
                       "The batch's supplier or product does not match the order line",
                       order_number=line.order_number, line_number=line.line_number)
    assert_not_future(data.ship_date, "发货日期", "ship date")
    if data.ship_date < batch.production_date:
        raise Invalid("dates_out_of_order", "发货日期早于生产日期", "Ship date is before the production date",
                      ship_date=data.ship_date.isoformat(), production_date=batch.production_date.isoformat())
    supplier_service.batch_assert_movable(batch, data.ship_date, doing_zh="发货", doing_en="shipped")
    supplier_service.supplier_assert_may_supply(session, supplier, data.ship_date)
    product = supplier_service.product_get(session, batch.product_id)
    amount = supplier_service.to_base_unit(session, product, data.quantity, data.unit)
    taken = run_prebuilt(session, _GROW_SHIPPED, {"b_id": batch.id, "amount": amount})
    if taken.rowcount != 1:
        session.refresh(batch)
        raise Conflict("quantity_exceeds_batch",
                       f"发货数量超过批次剩余数量（剩余 {batch.quantity - batch.shipped_quantity} {batch.unit}）",
                       f"Shipping {amount} {batch.unit} exceeds what is left of the batch "
                       f"({batch.quantity - batch.shipped_quantity} {batch.unit})",
                       requested=str(amount), remaining=str(batch.quantity - batch.shipped_quantity))
    shipment = shipment_insert(session, batch_id=batch.id, school_id=line.school_id, supplier_id=batch.supplier_id,
                               order_line_id=line.id, quantity=amount, unit=product.unit, ship_date=data.ship_date,
                               shipped_by=actor.user_id)
    record_event(
        session, stream=stream_of("batch", batch.id), biz_step="shipping", action="OBSERVE",
        disposition="in_transit", actor=actor, subject_type="shipment", subject_id=shipment.id,
        occurred_at=occurred_at or occurred_on(data.ship_date),
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=line.school_id,
        payload={"shipment_id": shipment.id, "order_number": line.order_number, "order_line": line.line_number,
                 "order_revision": line.current_revision, "quantity": amount, "unit": product.unit,
                 "declared_quantity": data.quantity, "declared_unit": data.unit, "ship_date": data.ship_date},
    )
    # The conditional UPDATE moved shipped_quantity in the database; reload it only if read.
    session.expire(batch, ["shipped_quantity"])
    return shipment


# --- receipts --------------------------------------------------------------------------------


def receipt_insert(session: Session, *, shipment_id: int, batch_id: int, school_id: int,
                   accepted_quantity: Decimal, rejected_quantity: Decimal, unit: str, rejection_reason: str,
                   arrival_temperature_celsius: float | None, receipt_date: date, received_by: int | None,
                   event_id: str, confirmed_by: int | None = None, check_id: int | None = None,
                   rejected_disposal: str | None = None, certificates_checked: str | None = None) -> Row[Any]:
    """Write a receipt and return it as written."""
    return run_prebuilt(session, _INSERT_RECEIPT, {
        "shipment_id": shipment_id, "batch_id": batch_id, "school_id": school_id,
        "accepted_quantity": accepted_quantity, "rejected_quantity": rejected_quantity, "unit": unit,
        "rejection_reason": rejection_reason, "arrival_temperature_celsius": arrival_temperature_celsius,
        "receipt_date": receipt_date, "received_by": received_by, "event_id": event_id,
        "confirmed_by": confirmed_by, "check_id": check_id, "rejected_disposal": rejected_disposal,
        "certificates_checked": certificates_checked}).one()


@dataclass(frozen=True)
class TwoPersonCheck:
    """Who checked a receipt and what they recorded beside the quantities (双人或多人联检, §3.4).

    ``canteens.receipt_checks`` builds it when the second checker confirms; a receipt is
    written with one or not at all.
    """

    check_id: int
    opened_by: int  # the first checker, who counted the goods and opened the check
    rejected_disposal: str | None  # "returned" or "destroyed": what became of the rejected quantity
    certificates_checked: tuple[str, ...]  # the papers they ticked as seen (索证索票)
    rapid_test_id: int | None = None


@dataclass(frozen=True)
class ReceiptGates:
    """What a receipt's gates decided: the locked batch, its product and the quantities in base units."""

    shipment: Row[Any]
    batch: Batch
    product: Any
    accepted: Decimal
    rejected: Decimal


def receipt_gates(session: Session, *, actor: Actor, data: ReceiptCreate) -> ReceiptGates:
    """Every gate of a receipt, decided under the batch's lock; nothing is written.

    A receipt check runs them when it opens, so the first checker learns at once, and
    ``receipt_create`` runs them again when the second checker confirms.
    """
    shipment = run_prebuilt(session, _SHIPMENT, {"shipment_id": data.shipment_id}).first()
    if shipment is None:
        shipment_get(session, data.shipment_id)  # raises the 404
    assert_acts_for_school(actor, shipment.school_id)
    if actor.role not in ("canteen_staff", "admin"):
        raise Forbidden("role_not_allowed", "只有食堂人员可以验收", "Only canteen staff may receive goods")
    # Locks in the order of trace.locking; the hold, recall and standing gates come after them.
    batch = supplier_service.batch_lock(session, shipment.batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    assert_not_future(data.receipt_date, "验收日期", "receipt date")
    if data.receipt_date < shipment.ship_date:
        raise Invalid("dates_out_of_order", "验收日期早于发货日期", "Receipt date is before the ship date",
                      receipt_date=data.receipt_date.isoformat(), ship_date=shipment.ship_date.isoformat())
    accepted = supplier_service.to_base_unit(session, product, data.accepted_quantity, data.unit)
    rejected = supplier_service.to_base_unit(session, product, data.rejected_quantity, data.unit)
    if rejected > 0 and not data.rejection_reason.strip():
        raise Invalid("rejection_reason_required", "拒收时须填写原因", "Give a reason for the rejected quantity")
    if accepted > 0:
        supplier_service.batch_assert_movable(batch, data.receipt_date, doing_zh="验收入库", doing_en="accepted")
        supplier_service.supplier_assert_may_supply(
            session, supplier_service.supplier_lock_for_gate(session, batch.supplier_id), data.receipt_date)
        receiving.assert_goods_acceptable(session, batch, product, data.arrival_temperature_celsius)
    return ReceiptGates(shipment, batch, product, accepted, rejected)


def _quantity_exceeds_shipment(shipment: Row[Any], counted: Decimal) -> Conflict:
    remaining = shipment.quantity - shipment.accounted_quantity
    return Conflict("quantity_exceeds_shipment",
                    f"验收数量超过发货数量（尚未验收 {remaining} {shipment.unit}）",
                    f"Receiving {counted} {shipment.unit} exceeds what was shipped and not yet received "
                    f"({remaining} {shipment.unit})", requested=str(counted), remaining=str(remaining))


def receipt_assert_within_shipment(gates: ReceiptGates) -> None:
    """What a check counts must fit in what is left of the shipment (read only: the receipt's
    conditional UPDATE decides it again when the check is confirmed)."""
    counted = gates.accepted + gates.rejected
    if gates.shipment.accounted_quantity + counted > gates.shipment.quantity:
        raise _quantity_exceeds_shipment(gates.shipment, counted)


def receipt_create(session: Session, *, actor: Actor, data: ReceiptCreate, check: TwoPersonCheck,
                   occurred_at: datetime | None = None) -> Row[Any]:
    """The canteen accepts or rejects a shipment at the door (验收), as two of its staff checked it.

    The one place a receipt is written: ``actor`` is the second checker, confirming ``check``
    (``canteens.receipt_checks.check_confirm`` decides who may); every gate is decided again here.
    """
    gates = receipt_gates(session, actor=actor, data=data)
    shipment, batch, product, accepted, rejected = (gates.shipment, gates.batch, gates.product, gates.accepted,
                                                    gates.rejected)
    counted = accepted + rejected
    taken = run_prebuilt(session, _GROW_ACCOUNTED, {"s_id": shipment.id, "amount": counted})
    loaded = session.identity_map.get((Shipment, (shipment.id,), None))
    if loaded is not None:  # a reader's copy in this session: the total moved under it
        session.expire(loaded, ["accounted_quantity"])
    if taken.rowcount != 1:
        raise _quantity_exceeds_shipment(run_prebuilt(session, _SHIPMENT, {"shipment_id": shipment.id}).one(),
                                         counted)
    if accepted > 0:
        _stock_add(session, school_id=shipment.school_id, batch_id=batch.id, amount=accepted, unit=product.unit)
    disposal = check.rejected_disposal if rejected > 0 else None
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="receiving", action="OBSERVE",
        disposition="conformant" if rejected == 0 else ("non_conformant" if accepted == 0 else "partially_conformant"),
        actor=actor, subject_type="shipment", subject_id=shipment.id,
        occurred_at=occurred_at or occurred_on(data.receipt_date),
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=shipment.school_id,
        payload={"shipment_id": shipment.id, "accepted_quantity": accepted, "rejected_quantity": rejected,
                 "unit": product.unit, "declared_unit": data.unit, "rejection_reason": data.rejection_reason,
                 "arrival_temperature_celsius": data.arrival_temperature_celsius,
                 "receipt_date": data.receipt_date, "check_id": check.check_id,
                 "checked_by": [check.opened_by, actor.user_id], "opened_by": check.opened_by,
                 "confirmed_by": actor.user_id, "rejected_disposal": disposal,
                 "certificates_checked": list(check.certificates_checked), "rapid_test_id": check.rapid_test_id},
    )
    return receipt_insert(session, shipment_id=shipment.id, batch_id=batch.id, school_id=shipment.school_id,
                          accepted_quantity=accepted, rejected_quantity=rejected, unit=product.unit,
                          rejection_reason=data.rejection_reason,
                          arrival_temperature_celsius=data.arrival_temperature_celsius,
                          receipt_date=data.receipt_date, received_by=check.opened_by, event_id=event.event_id,
                          confirmed_by=actor.user_id, check_id=check.check_id, rejected_disposal=disposal,
                          certificates_checked=json.dumps(list(check.certificates_checked), ensure_ascii=False))


def receipt_get(session: Session, receipt_id: int) -> Receipt:
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("receipt_not_found", f"验收记录 {receipt_id} 不存在", f"Receipt {receipt_id} not found",
                       receipt_id=receipt_id)
    return receipt


def receipts_of_school(session: Session, school_id: int, *, supplier_id: int | None = None,
                       date_from: date | None = None, date_to: date | None = None,
                       limit: int = 100, offset: int = 0) -> list[Receipt]:
    """A school's receipts by receipt date (local, both ends included), oldest first;
    with ``supplier_id``, only what that supplier shipped."""
    assert_date_range(date_from, date_to)
    statement = select(Receipt).where(Receipt.school_id == school_id)
    if supplier_id is not None:
        statement = statement.join(Shipment, Shipment.id == Receipt.shipment_id).where(
            Shipment.supplier_id == supplier_id)
    statement = dated_between(statement, Receipt.receipt_date, date_from, date_to).order_by(Receipt.receipt_date, Receipt.id).limit(limit).offset(offset)
    return list(session.execute(statement).scalars())


def _stock_add(session: Session, *, school_id: int, batch_id: int, amount: Decimal, unit: str) -> None:
    # One atomic upsert: creates the row on the first receipt, grows it on later ones,
    # and cannot race a concurrent receipt of the same batch at the same canteen.
    dialect = session.get_bind().dialect.name
    statement = _UPSERT_RECEIVED.get(dialect)
    if statement is None:
        upsert = dialect_insert(session)(_STOCK)
        statement = _UPSERT_RECEIVED[dialect] = upsert.on_conflict_do_update(
            index_elements=[_STOCK.c.school_id, _STOCK.c.batch_id],
            set_={"received_quantity": _STOCK.c.received_quantity + upsert.excluded.received_quantity},
        ).returning(_STOCK.c.id)
    stock_id = run_prebuilt(session, statement, {"school_id": school_id, "batch_id": batch_id,
                                                 "received_quantity": amount, "used_quantity": Decimal(0),
                                                 "unit": unit}).scalar_one()
    loaded = session.identity_map.get((Stock, (stock_id,), None))
    if loaded is not None:
        session.expire(loaded, ["received_quantity"])


_UPSERT_RECEIVED: dict[str, Any] = {}
