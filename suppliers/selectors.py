"""Reads for the supplier's own pages: its batches with their products. Rules stay in ``suppliers.service``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlmodel import Session

from suppliers import service
from suppliers.models import Batch, BatchStatus, Product, Supplier


@dataclass
class BatchRow:
    batch: Batch
    product: Product

    @property
    def left(self) -> Decimal:
        """What is still with the supplier, in the batch's unit."""
        return self.batch.quantity - self.batch.shipped_quantity


def products_by_id(session: Session, product_ids: Iterable[int]) -> dict[int, Product]:
    wanted = list(set(product_ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.execute(select(Product).where(Product.id.in_(wanted))).scalars()}


def batches_with_products(session: Session, supplier_id: int, *, limit: int = 200) -> list[BatchRow]:
    """The supplier's batches, newest first, each with its product."""
    batches = service.batches_of_supplier(session, supplier_id, limit=limit)
    products = products_by_id(session, {b.product_id for b in batches})
    return [BatchRow(b, products[b.product_id]) for b in batches]


@dataclass
class BatchWithParties:
    batch: Batch
    product: Product
    supplier: Supplier


def _with_parties(session: Session, batches: list[Batch]) -> list[BatchWithParties]:
    products = products_by_id(session, {b.product_id for b in batches})
    wanted = list({b.supplier_id for b in batches})
    suppliers = {s.id: s for s in session.execute(select(Supplier).where(Supplier.id.in_(wanted))).scalars()} \
        if wanted else {}
    return [BatchWithParties(b, products[b.product_id], suppliers[b.supplier_id]) for b in batches]


def batches_in_status(session: Session, statuses: Iterable[BatchStatus], *, limit: int = 200) -> list[BatchWithParties]:
    """Batches under a measure (sealed, recalled), the most recently registered first."""
    statement = select(Batch).where(Batch.status.in_(list(statuses))).order_by(Batch.id.desc()).limit(limit)
    return _with_parties(session, list(session.execute(statement).scalars()))


def batches_described(session: Session, batches: list[Batch]) -> list[BatchWithParties]:
    return _with_parties(session, batches)


def suppliers_named(session: Session, text: str, *, limit: int = 20) -> list[Supplier]:
    """Suppliers whose name or credit code contains ``text``."""
    text = text.strip()  # typed % and _ are matched as themselves, not as wildcards
    statement = (select(Supplier).where(or_(Supplier.name.contains(text, autoescape=True),
                                            Supplier.credit_code.contains(text, autoescape=True)))
                 .order_by(Supplier.name).limit(limit))
    return list(session.execute(statement).scalars())
