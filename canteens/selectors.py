"""Reads for the canteen's own pages: deliveries expected at a school, its stock and its kitchen use,
each row with the names a person reads (supplier, product, lot) fetched in a few queries, not one per row.

Writes and rules stay in ``canteens.service``; these only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlmodel import Session

from canteens import service
from canteens.current import RECEIPT_COUNTS, uses_corrected_by
from canteens.models import KitchenUse, OrderLine, OrderRevision, PurchaseOrder, Receipt, School, Shipment, Stock
from suppliers.models import Batch, BatchStatus, Product, Supplier
from trace.i18n import N_

ZERO = Decimal("0.000")
# How far the deliveries page looks: overdue lines of the past week, and the next days' orders.
OVERDUE_DAYS = 7
AHEAD_DAYS = 3


class ArrivalState(StrEnum):
    not_shipped = "not_shipped"
    in_transit = "in_transit"
    received = "received"
    partly_received = "partly_received"
    rejected = "rejected"


ARRIVAL_LABELS = {
    ArrivalState.not_shipped: N_("Not shipped"),
    ArrivalState.in_transit: N_("In transit"),
    ArrivalState.received: N_("Received"),
    ArrivalState.partly_received: N_("Partly received"),
    ArrivalState.rejected: N_("Rejected"),
}


def arrival_state(shipped: Decimal, accepted: Decimal, rejected: Decimal) -> ArrivalState:
    """What became of one shipment at the door, from its quantities."""
    if accepted + rejected <= 0:
        return ArrivalState.in_transit
    if accepted == 0 and rejected >= shipped:
        return ArrivalState.rejected
    if accepted >= shipped:
        return ArrivalState.received
    return ArrivalState.partly_received


@dataclass
class ShipmentRow:
    shipment: Shipment
    batch: Batch
    accepted: Decimal
    rejected: Decimal

    @property
    def state(self) -> ArrivalState:
        return arrival_state(self.shipment.quantity, self.accepted, self.rejected)


@dataclass
class DeliveryLine:
    """One line of an order due at the school, with whatever was shipped against it."""

    order: PurchaseOrder
    revision: OrderRevision
    line: OrderLine
    product: Product
    supplier: Supplier
    shipments: list[ShipmentRow] = field(default_factory=list)

    @property
    def state(self) -> ArrivalState:
        if not self.shipments:
            return ArrivalState.not_shipped
        states = {s.state for s in self.shipments}
        if ArrivalState.in_transit in states:
            return ArrivalState.in_transit
        return states.pop() if len(states) == 1 else ArrivalState.partly_received

    @property
    def needs_attention(self) -> bool:
        return self.state in (ArrivalState.not_shipped, ArrivalState.in_transit)


@dataclass
class Deliveries:
    today: list[DeliveryLine]
    ahead: list[DeliveryLine]
    overdue: list[DeliveryLine]  # due before today and still not (fully) here


def deliveries_of_school(session: Session, school_id: int, *, today: date) -> Deliveries:
    """The school's order lines due from a week ago to a few days ahead (current revisions), with their shipments."""
    found = session.execute(
        select(PurchaseOrder, OrderRevision)
        .join(OrderRevision, and_(OrderRevision.order_id == PurchaseOrder.id,
                                  OrderRevision.revision == PurchaseOrder.current_revision))
        .where(PurchaseOrder.school_id == school_id,
               OrderRevision.delivery_date.between(today - timedelta(days=OVERDUE_DAYS),
                                                   today + timedelta(days=AHEAD_DAYS)))
        .order_by(OrderRevision.delivery_date, PurchaseOrder.order_number)
    ).all()
    if not found:
        return Deliveries([], [], [])
    revisions = {revision.id: (order, revision) for order, revision in found}
    lines = list(session.execute(select(OrderLine).where(OrderLine.revision_id.in_(list(revisions)))
                                 .order_by(OrderLine.revision_id, OrderLine.line_number)).scalars())
    products = _by_id(session, Product, {line.product_id for line in lines})
    suppliers = _by_id(session, Supplier, {order.supplier_id for order, _ in found})
    shipped = _shipments_of_orders(session, [order.id for order, _ in found], school_id)
    result = Deliveries([], [], [])
    for line in lines:
        order, revision = revisions[line.revision_id]
        entry = DeliveryLine(order, revision, line, products[line.product_id], suppliers[order.supplier_id],
                             shipped.get((order.id, line.line_number), []))
        if revision.delivery_date == today:
            result.today.append(entry)
        elif revision.delivery_date > today:
            result.ahead.append(entry)
        elif entry.needs_attention:
            result.overdue.append(entry)
    return result


def _by_id(session: Session, table: type, ids: Iterable[int]) -> dict:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {row.id: row for row in session.execute(select(table).where(table.id.in_(wanted))).scalars()}


def _shipments_of_orders(session: Session, order_ids: list[int], school_id: int) -> dict[tuple[int, int], list[ShipmentRow]]:
    """Shipments against any revision of these orders, keyed by (order, line number): a line keeps its
    number across revisions, and a shipment names the line of the revision it was sent against."""
    rows = session.execute(
        select(Shipment, Batch, OrderRevision.order_id, OrderLine.line_number)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(OrderLine, OrderLine.id == Shipment.order_line_id)
        .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
        .where(OrderRevision.order_id.in_(order_ids), Shipment.school_id == school_id)
        .order_by(Shipment.ship_date, Shipment.id)
    ).all()
    counted = _receipt_totals(session, [shipment.id for shipment, *_ in rows])
    keyed: dict[tuple[int, int], list[ShipmentRow]] = defaultdict(list)
    for shipment, batch, order_id, line_number in rows:
        accepted, rejected = counted.get(shipment.id, (ZERO, ZERO))
        keyed[(order_id, line_number)].append(ShipmentRow(shipment, batch, accepted, rejected))
    return keyed


def _receipt_totals(session: Session, shipment_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    if not shipment_ids:
        return {}
    rows = session.execute(
        select(Receipt.shipment_id, func.sum(Receipt.accepted_quantity), func.sum(Receipt.rejected_quantity))
        .where(Receipt.shipment_id.in_(shipment_ids), RECEIPT_COUNTS).group_by(Receipt.shipment_id)
    ).all()
    return {shipment_id: (accepted, rejected) for shipment_id, accepted, rejected in rows}


def receipts_of_shipment(session: Session, shipment_id: int) -> list[Receipt]:
    return list(session.execute(select(Receipt).where(Receipt.shipment_id == shipment_id)
                                .order_by(Receipt.receipt_date, Receipt.id)).scalars())


def order_line_of(session: Session, order_line_id: int) -> tuple[PurchaseOrder, OrderRevision, OrderLine]:
    line = session.get(OrderLine, order_line_id)
    revision = session.get(OrderRevision, line.revision_id)
    return session.get(PurchaseOrder, revision.order_id), revision, line


# --- stock and kitchen use --------------------------------------------------------------------


class Usability(StrEnum):
    usable = "usable"
    expiring = "expiring"
    expired = "expired"
    on_hold = "on_hold"
    recalled = "recalled"


USABILITY_LABELS = {
    Usability.usable: N_("Usable"),
    Usability.expiring: N_("Usable, expiring soon"),
    Usability.expired: N_("Expired: do not use"),
    Usability.on_hold: N_("Sealed: do not use"),
    Usability.recalled: N_("Recalled: do not use"),
}
# Problems first on the stock page: what must not be used, then what must be used soon.
_URGENCY = [Usability.recalled, Usability.on_hold, Usability.expired, Usability.expiring, Usability.usable]
EXPIRING_DAYS = 7


@dataclass
class StockLot:
    stock: Stock
    batch: Batch
    product: Product
    supplier: Supplier
    days_to_expiry: int
    usability: Usability

    @property
    def usable(self) -> bool:
        return self.usability in (Usability.usable, Usability.expiring)


def usability_of(batch: Batch, today: date) -> Usability:
    if batch.status == BatchStatus.recalled:
        return Usability.recalled
    if batch.status == BatchStatus.on_hold:
        return Usability.on_hold
    if batch.expiry_date < today:
        return Usability.expired
    if (batch.expiry_date - today).days <= EXPIRING_DAYS:
        return Usability.expiring
    return Usability.usable


def stock_lots(session: Session, school_id: int, *, today: date) -> list[StockLot]:
    """The school's stock on hand per lot, problems first, then by expiry."""
    found = service.stock_lots_of_school(session, school_id)
    products = _by_id(session, Product, {batch.product_id for _, batch in found})
    suppliers = _by_id(session, Supplier, {batch.supplier_id for _, batch in found})
    lots = [StockLot(stock, batch, products[batch.product_id], suppliers[batch.supplier_id],
                     (batch.expiry_date - today).days, usability_of(batch, today)) for stock, batch in found]
    return sorted(lots, key=lambda lot: (_URGENCY.index(lot.usability), lot.batch.expiry_date, lot.product.name))


@dataclass
class UseRow:
    use: KitchenUse
    batch: Batch
    product: Product
    corrected_by: int | None = None  # the use that corrected this one (canteens.corrections)


def uses_on(session: Session, school_id: int, day: date) -> list[UseRow]:
    uses = service.uses_of_school(session, school_id, date_from=day, date_to=day, limit=500)
    batches = _by_id(session, Batch, {use.batch_id for use in uses})
    products = _by_id(session, Product, {batch.product_id for batch in batches.values()})
    corrected_by = uses_corrected_by(session, (use.id for use in uses))
    return [UseRow(use, batches[use.batch_id], products[batches[use.batch_id].product_id], corrected_by.get(use.id))
            for use in uses]


# --- a supplier's orders and shipments ----------------------------------------------------------


@dataclass
class OrderSummary:
    order: PurchaseOrder
    revision: OrderRevision
    lines: list[OrderLine]
    school_name: str


def orders_of_supplier(session: Session, supplier_id: int, *, limit: int = 100) -> list[OrderSummary]:
    """Orders addressed to the supplier as they stand now (current revision), latest delivery date first."""
    found = session.execute(
        select(PurchaseOrder, OrderRevision, School.name)
        .join(OrderRevision, and_(OrderRevision.order_id == PurchaseOrder.id,
                                  OrderRevision.revision == PurchaseOrder.current_revision))
        .join(School, School.id == PurchaseOrder.school_id)
        .where(PurchaseOrder.supplier_id == supplier_id)
        .order_by(OrderRevision.delivery_date.desc(), PurchaseOrder.order_number).limit(limit)
    ).all()
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    if found:
        for line in session.execute(select(OrderLine).where(OrderLine.revision_id.in_([r.id for _, r, _ in found]))
                                    .order_by(OrderLine.line_number)).scalars():
            lines[line.revision_id].append(line)
    return [OrderSummary(order, revision, lines[revision.id], school) for order, revision, school in found]


def products_named(session: Session, product_ids: Iterable[int]) -> dict[int, Product]:
    return _by_id(session, Product, product_ids)


@dataclass
class SupplierShipment:
    shipment: Shipment
    batch: Batch
    product: Product
    school_name: str
    order_number: str
    accepted: Decimal
    rejected: Decimal

    @property
    def state(self) -> ArrivalState:
        return arrival_state(self.shipment.quantity, self.accepted, self.rejected)


def shipments_of_supplier(session: Session, supplier_id: int, *, limit: int = 100) -> list[SupplierShipment]:
    """The supplier's shipments, newest first, with what each school made of them."""
    rows = session.execute(
        select(Shipment, Batch, School.name, PurchaseOrder.order_number)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(School, School.id == Shipment.school_id)
        .join(OrderLine, OrderLine.id == Shipment.order_line_id)
        .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
        .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
        .where(Shipment.supplier_id == supplier_id)
        .order_by(Shipment.ship_date.desc(), Shipment.id.desc()).limit(limit)
    ).all()
    products = _by_id(session, Product, {batch.product_id for _, batch, *_ in rows})
    counted = _receipt_totals(session, [shipment.id for shipment, *_ in rows])
    return [SupplierShipment(shipment, batch, products[batch.product_id], school, number,
                             *counted.get(shipment.id, (ZERO, ZERO)))
            for shipment, batch, school, number in rows]


def shipments_of_order(session: Session, order_id: int) -> list[SupplierShipment]:
    """What was shipped against any revision of one order, oldest first."""
    rows = session.execute(
        select(Shipment, Batch, School.name)
        .join(Batch, Batch.id == Shipment.batch_id)
        .join(School, School.id == Shipment.school_id)
        .join(OrderLine, OrderLine.id == Shipment.order_line_id)
        .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
        .where(OrderRevision.order_id == order_id)
        .order_by(Shipment.ship_date, Shipment.id)
    ).all()
    products = _by_id(session, Product, {batch.product_id for _, batch, _ in rows})
    counted = _receipt_totals(session, [shipment.id for shipment, *_ in rows])
    order_number = session.get(PurchaseOrder, order_id).order_number
    return [SupplierShipment(shipment, batch, products[batch.product_id], school, order_number,
                             *counted.get(shipment.id, (ZERO, ZERO)))
            for shipment, batch, school in rows]
