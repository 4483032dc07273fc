"""Orders as the procurement platform placed them, each change a new revision with its lines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session

from canteens.models import OrderLine, OrderRevision, PurchaseOrder
from canteens.schemas import OrderCreate, OrderLineIn, OrderRevise
from canteens.schools import school_get
from suppliers import service as supplier_service
from trace.custody import Actor, record_event, stream_of
from trace.db import insert_now, quantity, run_prebuilt
from trace.errors import Conflict, NotFound
from trace.locking import lock_for_change


def order_get(session: Session, order_number: str) -> PurchaseOrder:
    order = session.execute(select(PurchaseOrder).where(PurchaseOrder.order_number == order_number)).scalar_one_or_none()
    if order is None:
        raise NotFound("order_not_found", f"订单 {order_number} 不存在", f"Order {order_number} not found",
                       order_number=order_number)
    return order


def order_revisions(session: Session, order_id: int) -> list[tuple[OrderRevision, list[OrderLine]]]:
    """Every revision of an order, oldest first, each with its lines."""
    # One statement, so a revision committed meanwhile is seen whole or not at all
    # (PostgreSQL's READ COMMITTED gives each statement its own snapshot).
    result: dict[int, tuple[OrderRevision, list[OrderLine]]] = {}
    for revision, line in session.execute(_REVISIONS_WITH_LINES, {"order_id": order_id}):
        lines = result.setdefault(revision.id, (revision, []))[1]
        if line is not None:
            lines.append(line)
    return list(result.values())


def order_current_revision(session: Session, order_id: int) -> tuple[OrderRevision, list[OrderLine]]:
    """An order's current revision and its lines: what may be shipped against."""
    rows = session.execute(_CURRENT_LINES_OF_ORDER, {"order_id": order_id}).all()
    if not rows:
        raise NotFound("order_not_found", f"订单 {order_id} 不存在", f"Order {order_id} not found", order_id=order_id)
    return rows[0][0], [line for _revision, line in rows]


# Read statements on hot paths are built once, with bound parameters: building a
# SELECT and its cache key costs more than running it on an indexed column.
_REVISIONS_WITH_LINES = (
    select(OrderRevision, OrderLine).outerjoin(OrderLine, OrderLine.revision_id == OrderRevision.id)
    .where(OrderRevision.order_id == bindparam("order_id")).order_by(OrderRevision.revision, OrderLine.line_number)
)
_CURRENT_LINES_OF_ORDER = (
    select(OrderRevision, OrderLine)
    .select_from(OrderLine)
    .join(OrderRevision, OrderLine.revision_id == OrderRevision.id)
    .join(PurchaseOrder, (OrderRevision.order_id == PurchaseOrder.id)
          & (OrderRevision.revision == PurchaseOrder.current_revision))
    .where(PurchaseOrder.id == bindparam("order_id")).order_by(OrderLine.line_number)
)
_ORDER_NUMBER_TAKEN = select(PurchaseOrder.__table__.c.id).where(
    PurchaseOrder.__table__.c.order_number == bindparam("order_number"))


def _write_revision(session: Session, *, actor: Actor, order: PurchaseOrder, number: int, delivery_date: date,
                    note: str, lines: list[OrderLineIn], occurred_at: datetime | None) -> OrderRevision:
    revision = insert_now(session, OrderRevision, order_id=order.id, revision=number, delivery_date=delivery_date,
                          note=note, recorded_by=actor.user_id)
    written = []
    for line in lines:
        product = supplier_service.product_get(session, line.product_id)
        base = supplier_service.to_base_unit(session, product, line.quantity, line.unit)
        insert_now(session, OrderLine, revision_id=revision.id, line_number=line.line_number, product_id=product.id,
                   quantity=base, unit=product.unit, ordered_quantity=quantity(line.quantity),
                   ordered_unit=line.unit, unit_price_fen=line.unit_price_fen)
        written.append({**line.model_dump(mode="json"), "base_quantity": str(base), "base_unit": product.unit})
    record_event(
        session, stream=stream_of("order", order.id), biz_step="transacting",
        action="ADD" if number == 1 else "OBSERVE", actor=actor, subject_type="order_revision",
        subject_id=f"{order.order_number}#{number}", school_id=order.school_id, supplier_id=order.supplier_id,
        occurred_at=occurred_at,
        payload={"order_number": order.order_number, "revision": number, "delivery_date": delivery_date,
                 "note": note, "lines": written},
    )
    return revision


def order_create(session: Session, *, actor: Actor, data: OrderCreate,
                 occurred_at: datetime | None = None) -> PurchaseOrder:
    """Record an order as the procurement platform placed it (``occurred_at``: when, if not now)."""
    school_get(session, data.school_id)
    supplier = supplier_service.supplier_lock_for_gate(session, data.supplier_id)
    supplier_service.supplier_assert_may_supply(session, supplier, data.delivery_date)
    if run_prebuilt(session, _ORDER_NUMBER_TAKEN, {"order_number": data.order_number}).first():
        raise Conflict("order_exists", f"订单号 {data.order_number} 已存在；修改订单请提交新修订",
                       f"Order {data.order_number} exists; submit a revision to change it",
                       order_number=data.order_number)
    order = insert_now(session, PurchaseOrder, order_number=data.order_number, school_id=data.school_id,
                       supplier_id=data.supplier_id)
    _write_revision(session, actor=actor, order=order, number=1, delivery_date=data.delivery_date,
                    note=data.note, lines=data.lines, occurred_at=occurred_at)
    return order


# What a revision moves on the order: what a shipment's gate reads under the order's lock.
ORDER_MOVES = ("current_revision",)


def order_revise(session: Session, *, actor: Actor, order_number: str, data: OrderRevise,
                 occurred_at: datetime | None = None) -> PurchaseOrder:
    """A changed order becomes a new revision; earlier revisions stay as they were."""
    # Locked so that two revisions cannot claim the same number, and so that a shipment
    # deciding on the current revision (it share-locks the order) finishes first.
    order = lock_for_change(session, PurchaseOrder, order_get(session, order_number).id, fresh=ORDER_MOVES)
    order.current_revision += 1
    session.add(order)
    _write_revision(session, actor=actor, order=order, number=order.current_revision,
                    delivery_date=data.delivery_date, note=data.note, lines=data.lines, occurred_at=occurred_at)
    return order
