"""Which batches get labels and what they say (the drawing is in ``trace.labels``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from suppliers import service
from suppliers.models import STORAGE_LABELS, Batch
from trace.digital_link import build_digital_link
from trace.i18n import label
from trace.labels import LabelContent, find_cjk_font
from trace.settings import get_settings


def label_font() -> Path:
    return find_cjk_font(get_settings().cjk_font)


def batch_digital_link(batch: Batch) -> str:
    return build_digital_link(get_settings().resolver_base_url, batch.gtin, batch.lot_code)


def label_for_batch(session: Session, batch: Batch, *, quantity: Decimal | None = None) -> LabelContent:
    product = service.product_get(session, batch.product_id)
    supplier = service.supplier_get(session, batch.supplier_id)
    return LabelContent(
        uri=batch_digital_link(batch),
        product_name=product.name,
        supplier_name=supplier.name,
        lot=batch.lot_code,
        production_date=batch.production_date,
        expiry_date=batch.expiry_date,
        storage_condition=label(STORAGE_LABELS[product.storage], "zh-CN"),
        quantity_text=f"{quantity.normalize():f} {batch.unit}" if quantity is not None else None,
    )


def batches_produced_between(session: Session, first: date, last: date, *, supplier_id: int | None = None
                             ) -> list[Batch]:
    statement = select(Batch).where(Batch.production_date >= first, Batch.production_date <= last)
    if supplier_id is not None:
        statement = statement.where(Batch.supplier_id == supplier_id)
    return list(session.execute(statement.order_by(Batch.production_date, Batch.id)).scalars())
