"""Trace queries: backward to the source and forward to every canteen (the recall list).

A read model over every domain, so — with ``trace.app`` — one of the two modules
that may import all of them. Each query walks indexed foreign keys from one batch,
so its cost follows the size of the answer, not of the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from canteens.current import RECEIPT_COUNTS, USE_COUNTS, receipts_public
from canteens.models import KitchenUse, OrderLine, OrderRevision, PurchaseOrder, Receipt, School, Shipment, Stock
from inspections import service as inspection_service
from suppliers import service as supplier_service
from suppliers.models import Batch
from trace.custody import Actor, events_for_batch
from trace.digital_link import normalize_lot
from trace.errors import Forbidden


def batch_visible_to(session: Session, actor: Actor, batch: Batch) -> bool:
    """Inspectors and admins see every batch; a supplier its own; a canteen what it was sent."""
    if actor.role in ("admin", "inspector"):
        return True
    if actor.role == "supplier":
        return batch.supplier_id == actor.supplier_id
    if actor.role == "canteen_staff":
        statement = select(Shipment.id).where(Shipment.batch_id == batch.id, Shipment.school_id == actor.school_id)
        return session.execute(statement.limit(1)).first() is not None
    return False


def batch_for_reader(session: Session, actor: Actor, batch_id: int) -> Batch:
    batch = supplier_service.batch_get(session, batch_id)
    if not batch_visible_to(session, actor, batch):
        raise Forbidden("batch_not_visible", "无权查看该批次", "You may not see this batch", batch_id=batch_id)
    return batch


def batches_with_lot(session: Session, actor: Actor, lot_code: str, *, supplier_id: int | None = None,
                     limit: int = 100, offset: int = 0) -> list[Batch]:
    """Every batch with this lot code that the caller may see, newest first.

    Lot codes are unique only per GTIN: two suppliers, or two products of one
    supplier, may print the same lot, so the answer is a list.
    """
    statement = select(Batch).where(Batch.lot_code == normalize_lot(lot_code))
    if supplier_id is not None:
        statement = statement.where(Batch.supplier_id == supplier_id)
    if actor.role == "supplier":
        statement = statement.where(Batch.supplier_id == actor.supplier_id)
    elif actor.role == "canteen_staff":
        # What was sent to the canteen, as batch_visible_to decides for one batch.
        sent_here = select(Shipment.batch_id).where(Shipment.school_id == actor.school_id)
        statement = statement.where(Batch.id.in_(sent_here))
    elif actor.role not in ("admin", "inspector"):
        return []
    return list(session.execute(statement.order_by(Batch.id.desc()).limit(limit).offset(offset)).scalars())


def batches_for_reader(session: Session, actor: Actor, *, supplier_id: int | None, lot_code: str | None,
                       limit: int, offset: int) -> list[Batch]:
    """Batches of one supplier, or by lot code, newest first; a supplier lists only its own."""
    if actor.role == "supplier":
        if supplier_id not in (None, actor.supplier_id):
            raise Forbidden("not_your_supplier", "只能查看本供应商的批次", "You can only list your own batches")
        supplier_id = actor.supplier_id
    if lot_code is not None:
        return batches_with_lot(session, actor, lot_code, supplier_id=supplier_id, limit=limit, offset=offset)
    if supplier_id is None or actor.role == "canteen_staff":
        raise Forbidden("supplier_filter_required", "请按供应商（supplier_id）或批号（lot_code）查询批次",
                        "List batches per supplier (supplier_id) or by lot code (lot_code)")
    return supplier_service.batches_of_supplier(session, supplier_id, limit=limit, offset=offset)


def _order_of_line(session: Session, line_id: int) -> dict[str, Any]:
    line = session.get(OrderLine, line_id)
    revision = session.get(OrderRevision, line.revision_id)
    order = session.get(PurchaseOrder, revision.order_id)
    return {"order_number": order.order_number, "revision": revision.revision,
            "current_revision": order.current_revision, "delivery_date": revision.delivery_date,
            "line_number": line.line_number, "ordered_quantity": line.ordered_quantity,
            "ordered_unit": line.ordered_unit, "unit_price_fen": line.unit_price_fen}


def trace_backward(session: Session, actor: Actor, batch_id: int) -> dict[str, Any]:
    """From a batch to its supplier (with licences), product, certificates, orders,
    shipments, receipts, tests and custody events."""
    batch = batch_for_reader(session, actor, batch_id)
    supplier = supplier_service.supplier_get(session, batch.supplier_id)
    product = supplier_service.product_get(session, batch.product_id)
    shipments = session.execute(select(Shipment).where(Shipment.batch_id == batch.id).order_by(Shipment.id)).scalars().all()
    if actor.role == "canteen_staff":
        shipments = [s for s in shipments if s.school_id == actor.school_id]
    shipment_ids = [s.id for s in shipments]
    receipts = session.execute(
        select(Receipt).where(Receipt.shipment_id.in_(shipment_ids)).order_by(Receipt.id)
    ).scalars().all() if shipment_ids else []
    events = events_for_batch(session, batch.id)
    if actor.role == "canteen_staff":
        events = [e for e in events if e.school_id in (None, actor.school_id)]
    return {
        "batch": batch,
        "product": product,
        "supplier": supplier,
        "licences": supplier_service.licences_of(session, supplier.id),
        "certificates": supplier_service.certificates_of(session, batch.id),
        "shipments": [{"shipment": s, "order": _order_of_line(session, s.order_line_id)} for s in shipments],
        # A corrected receipt is listed with its correction, each naming the other.
        "receipts": receipts_public(session, receipts),
        "tests": inspection_service.tests_of_batch(session, batch.id),
        "events": events,
    }


def trace_backward_from_receipt(session: Session, actor: Actor, receipt: Receipt) -> dict[str, Any]:
    """From a receipt the caller may see (``canteens.deps.receipt_for_reader``) back to the source."""
    return {"receipt": receipts_public(session, [receipt])[0], **trace_backward(session, actor, receipt.batch_id)}


def trace_forward(session: Session, actor: Actor, batch_id: int) -> dict[str, Any]:
    """From a batch to every canteen it was sent to: shipped, in transit, accepted, rejected,
    used and on hand, and those added up."""
    # Canteen staff hold no "trace.forward" permission (trace.policy): where else a batch went is not theirs to see.
    batch = batch_for_reader(session, actor, batch_id)
    rows = session.execute(
        select(Shipment.school_id, Shipment.quantity, Shipment.accounted_quantity).where(Shipment.batch_id == batch.id)
    ).all()
    per_school: dict[int, dict[str, Any]] = {}
    for school_id, shipped, accounted in rows:
        entry = per_school.setdefault(school_id, {"shipped": 0, "accounted": 0})
        entry["shipped"] += shipped
        entry["accounted"] += accounted
    stocks = {s.school_id: s for s in session.execute(select(Stock).where(Stock.batch_id == batch.id)).scalars()}
    schools = {s.id: s for s in session.execute(
        select(School).where(School.id.in_(list(per_school)))).scalars()} if per_school else {}
    rejected = dict(session.execute(
        select(Receipt.school_id, func.sum(Receipt.rejected_quantity)).where(Receipt.batch_id == batch.id, RECEIPT_COUNTS)
        .group_by(Receipt.school_id)
    ).all())
    last_use = dict(session.execute(
        select(KitchenUse.school_id, KitchenUse.use_date)
        .where(KitchenUse.batch_id == batch.id, USE_COUNTS, KitchenUse.quantity > 0)
        .order_by(KitchenUse.use_date)
    ).all())
    destinations = []
    for school_id, totals in sorted(per_school.items()):
        stock = stocks.get(school_id)
        school = schools[school_id]
        destinations.append({
            "school_id": school_id, "school_code": school.code, "school_name": school.name, "town": school.town,
            "shipped_quantity": totals["shipped"],
            "in_transit_quantity": totals["shipped"] - totals["accounted"],
            "received_quantity": stock.received_quantity if stock else _NONE,
            "rejected_quantity": rejected.get(school_id, _NONE),
            "used_quantity": stock.used_quantity if stock else _NONE,
            "on_hand_quantity": stock.on_hand if stock else _NONE,
            "last_used_on": last_use.get(school_id),
        })
    overall = {name: sum((d[name] for d in destinations), _NONE) for name in _FORWARD_TOTALS}
    return {"batch": batch, "unit": batch.unit, "destinations": destinations, "totals": overall}


_NONE = Decimal("0.000")  # as the database counts: thousandths
# Shipped = in transit + received (accepted) + rejected, per canteen and in total.
_FORWARD_TOTALS = ("shipped_quantity", "in_transit_quantity", "received_quantity", "rejected_quantity",
                   "used_quantity", "on_hand_quantity")
