"""A canteen's stock and its use in the kitchen (出库), meal by meal.

The stock a receipt adds is moved by one conditional UPDATE per use
(``… WHERE used + :q <= received``), so two uses cannot take more than is on hand.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlmodel import Session

from canteens.current import RECEIPT_COUNTS
from canteens.dates import assert_date_range, dated_between, occurred_on
from canteens.models import MEAL_LABELS, KitchenUse, Meal, Receipt, Stock
from canteens.schemas import UseCreate
from canteens.schools import assert_acts_for_school
from suppliers import service as supplier_service
from suppliers.models import Batch, BatchStatus
from trace.clock import assert_not_future
from trace.custody import Actor, record_event, stream_of
from trace.db import Quantity, run_prebuilt
from trace.errors import Conflict, Forbidden, Invalid
from trace.i18n import label

# The running totals, each moved by one conditional UPDATE. Built once on the tables
# (not the ORM classes): they compile once, and the ORM has no objects to synchronize —
# callers expire the one attribute they moved.
_STOCK = Stock.__table__
_AMOUNT = bindparam("amount", type_=Quantity())
_GROW_USED = (
    update(_STOCK)
    .where(_STOCK.c.id == bindparam("s_id"), _STOCK.c.used_quantity + _AMOUNT <= _STOCK.c.received_quantity)
    .values(used_quantity=_STOCK.c.used_quantity + _AMOUNT)
)



def stock_of_school(session: Session, school_id: int, *, only_on_hand: bool = True) -> list[Stock]:
    statement = select(Stock).where(Stock.school_id == school_id)
    if only_on_hand:
        statement = statement.where(Stock.received_quantity > Stock.used_quantity)
    return list(session.execute(statement.order_by(Stock.batch_id)).scalars())


def stock_lots_of_school(session: Session, school_id: int, *, only_on_hand: bool = True,
                         statuses: Collection[BatchStatus] = ()) -> list[tuple[Stock, Batch]]:
    """A canteen's stock with each lot's batch (status, expiry), in one query; ``statuses`` narrows it."""
    statement = select(Stock, Batch).join(Batch, Batch.id == Stock.batch_id).where(Stock.school_id == school_id)
    if only_on_hand:
        statement = statement.where(Stock.received_quantity > Stock.used_quantity)
    if statuses:
        statement = statement.where(Batch.status.in_(list(statuses)))
    return [(stock, batch) for stock, batch in session.execute(statement.order_by(Stock.batch_id))]


def uses_of_school(session: Session, school_id: int, *, batch_id: int | None = None,
                   date_from: date | None = None, date_to: date | None = None,
                   limit: int = 100, offset: int = 0) -> list[KitchenUse]:
    """A school's kitchen use (出库) by use date (local, both ends included), oldest first."""
    assert_date_range(date_from, date_to)
    statement = select(KitchenUse).where(KitchenUse.school_id == school_id)
    if batch_id is not None:
        statement = statement.where(KitchenUse.batch_id == batch_id)
    statement = dated_between(statement, KitchenUse.use_date, date_from, date_to).order_by(KitchenUse.use_date, KitchenUse.id).limit(limit).offset(offset)
    return list(session.execute(statement).scalars())


_FIRST_RECEIPT = (
    select(func.min(Receipt.receipt_date))
    .where(Receipt.school_id == Stock.school_id, Receipt.batch_id == Stock.batch_id, Receipt.accepted_quantity > 0,
           RECEIPT_COUNTS)  # a receipt a correction replaced no longer says when the goods came
    .scalar_subquery()
)
# A use is written once, with a Core statement, and handed back as the row the database
# returned: plain data, never an object in the session's identity map.
_USES = KitchenUse.__table__
_INSERT_USE = insert(_USES).returning(*_USES.c)


def use_insert(session: Session, *, school_id: int, batch_id: int, quantity: Decimal, unit: str, use_date: date,
               meal: Meal, dish: str, used_by: int | None, event_id: str) -> Row[Any]:
    """Write a kitchen use and return it as written."""
    return run_prebuilt(session, _INSERT_USE, {
        "school_id": school_id, "batch_id": batch_id, "quantity": quantity, "unit": unit, "use_date": use_date,
        "meal": meal, "dish": dish, "used_by": used_by, "event_id": event_id}).one()


_STOCK_WITH_FIRST_RECEIPT = select(Stock, _FIRST_RECEIPT).where(
    Stock.school_id == bindparam("school_id"), Stock.batch_id == bindparam("batch_id"))


def use_create(session: Session, *, actor: Actor, data: UseCreate, occurred_at: datetime | None = None) -> Row[Any]:
    """出库: take a quantity of a received batch into the kitchen for a meal."""
    school_id = actor.school_id if actor.role == "canteen_staff" else data.school_id
    if school_id is None:
        raise Invalid("school_required", "请指定学校", "school_id is required")
    assert_acts_for_school(actor, data.school_id or school_id)
    if actor.role not in ("canteen_staff", "admin"):
        raise Forbidden("role_not_allowed", "只有食堂人员可以出库", "Only canteen staff may record use")
    # Locked first (trace.locking): the hold and recall gates below see any hold committed meanwhile.
    batch = supplier_service.batch_lock(session, data.batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    assert_not_future(data.use_date, "出库日期", "use date")
    found = session.execute(_STOCK_WITH_FIRST_RECEIPT, {"school_id": school_id, "batch_id": batch.id}).first()
    if found is None:
        raise Conflict("batch_not_in_stock", f"本校没有批次 {batch.lot_code} 的库存",
                       f"Batch {batch.lot_code} is not in this school's stock", batch_id=batch.id)
    stock, first_receipt = found
    if data.use_date < first_receipt:
        raise Invalid("dates_out_of_order", "出库日期早于验收日期", "Use date is before the goods were received",
                      use_date=data.use_date.isoformat(), receipt_date=first_receipt.isoformat())
    supplier_service.batch_assert_movable(batch, data.use_date, doing_zh="出库使用", doing_en="used")
    amount = supplier_service.to_base_unit(session, product, data.quantity, data.unit)
    taken = run_prebuilt(session, _GROW_USED, {"s_id": stock.id, "amount": amount})
    if taken.rowcount != 1:
        session.refresh(stock)
        raise Conflict("quantity_exceeds_stock",
                       f"出库数量超过库存（现有 {stock.on_hand} {stock.unit}）",
                       f"Using {amount} {stock.unit} exceeds what is on hand ({stock.on_hand} {stock.unit})",
                       requested=str(amount), on_hand=str(stock.on_hand))
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="dispensing", action="OBSERVE",
        disposition="available", actor=actor, subject_type="stock", subject_id=stock.id,
        occurred_at=occurred_at or occurred_on(data.use_date),
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=school_id,
        payload={"quantity": amount, "unit": product.unit, "declared_quantity": data.quantity,
                 "declared_unit": data.unit, "use_date": data.use_date, "meal": data.meal.value,
                 "meal_zh": label(MEAL_LABELS[data.meal], "zh-CN"), "dish": data.dish},
    )
    use = use_insert(session, school_id=school_id, batch_id=batch.id, quantity=amount, unit=product.unit,
                     use_date=data.use_date, meal=data.meal, dish=data.dish, used_by=actor.user_id,
                     event_id=event.event_id)
    session.expire(stock, ["used_quantity"])
    return use
