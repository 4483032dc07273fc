"""Reads for the registers an administrator looks through: a supplier's standing, what it supplied.

Selectors only (no writes); the rules they show are the service's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from suppliers import service
from suppliers.models import Batch, Product, Supplier, SupplierStatus
from trace.errors import Conflict
from trace.i18n import N_

# normal / suspended / on the 严重违法失信名单, as the register shows them (a listing outranks a suspension).
STANDING_LABELS = {
    "normal": N_("Normal"),
    "suspended": N_("Suspended"),
    "dishonest": N_("On the list of seriously dishonest violators"),
}


def standing_of(supplier: Supplier) -> str:
    if supplier.dishonest:
        return "dishonest"
    if supplier.status != SupplierStatus.active:
        return "suspended"
    return "normal"


def supply_refusal(session: Session, supplier: Supplier, on: date) -> Conflict | None:
    """Why the supplier may not supply schools on ``on`` (the gate shipments pass), or None."""
    try:
        service.supplier_assert_may_supply(session, supplier, on)
    except Conflict as refused:
        return refused
    return None


@dataclass(frozen=True)
class ProductSupplied:
    product: Product
    batches: int
    last_production_date: date


def products_supplied(session: Session, supplier_id: int) -> list[ProductSupplied]:
    """Each product the supplier registered batches of, with how many and the latest production date."""
    statement = (select(Product, func.count(Batch.id), func.max(Batch.production_date))
                 .join(Batch, Batch.product_id == Product.id).where(Batch.supplier_id == supplier_id)
                 .group_by(Product.id).order_by(Product.name))
    return [ProductSupplied(product, count, last) for product, count, last in session.execute(statement).all()]
