"""Which receipts and kitchen uses count: the newest record of each chain of corrections.

A correction (:mod:`canteens.corrections`) is a new row naming the one it replaces; both stay,
and lists show both, each pointing at the other. Anything that adds receipts or uses up
(what a shipment was accepted at, a meal's lots, the meals a lot went into, the recall
list's rejected quantities) counts only a row that no correction replaced. The running
totals (a shipment's accounted quantity, a canteen's stock) are moved by the correction
itself, by the difference, so they need no filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from canteens.models import KitchenUse, Receipt
from canteens.schemas import ReceiptPublic, UsePublic

_NEWER_RECEIPT = aliased(Receipt, name="newer_receipt")
_NEWER_USE = aliased(KitchenUse, name="newer_use")

# WHERE clauses: "no correction replaced this row" (the unique index on corrects_…_id answers each).
RECEIPT_COUNTS: Any = ~exists(select(_NEWER_RECEIPT.id).where(_NEWER_RECEIPT.corrects_receipt_id == Receipt.id))
USE_COUNTS: Any = ~exists(select(_NEWER_USE.id).where(_NEWER_USE.corrects_use_id == KitchenUse.id))


def receipts_corrected_by(session: Session, receipt_ids: Iterable[int]) -> dict[int, int]:
    """For each of these receipts that was corrected, the id of the receipt that corrects it."""
    wanted = list(set(receipt_ids))
    if not wanted:
        return {}
    rows = session.execute(select(Receipt.corrects_receipt_id, Receipt.id)
                           .where(Receipt.corrects_receipt_id.in_(wanted))).all()
    return {old: new for old, new in rows}


def uses_corrected_by(session: Session, use_ids: Iterable[int]) -> dict[int, int]:
    """For each of these uses that was corrected, the id of the use that corrects it."""
    wanted = list(set(use_ids))
    if not wanted:
        return {}
    rows = session.execute(select(KitchenUse.corrects_use_id, KitchenUse.id)
                           .where(KitchenUse.corrects_use_id.in_(wanted))).all()
    return {old: new for old, new in rows}


def receipts_public(session: Session, receipts: Iterable[Any]) -> list[ReceiptPublic]:
    """Receipts as the API shows them, each with the receipt that corrected it, if any."""
    receipts = list(receipts)
    corrected_by = receipts_corrected_by(session, (r.id for r in receipts))
    return [ReceiptPublic.model_validate(r).model_copy(update={"corrected_by_receipt_id": corrected_by.get(r.id)})
            for r in receipts]


def uses_public(session: Session, uses: Iterable[Any]) -> list[UsePublic]:
    """Kitchen uses as the API shows them, each with the use that corrected it, if any."""
    uses = list(uses)
    corrected_by = uses_corrected_by(session, (u.id for u in uses))
    return [UsePublic.model_validate(u).model_copy(update={"corrected_by_use_id": corrected_by.get(u.id)})
            for u in uses]


def receipt_history(session: Session, receipt: Receipt) -> list[Receipt]:
    """Every record of a receipt's chain of corrections, the first one first (the newest counts)."""
    chain = [receipt]
    while chain[0].corrects_receipt_id is not None:
        chain.insert(0, session.get(Receipt, chain[0].corrects_receipt_id))
    newer = receipts_corrected_by(session, [receipt.id]).get(receipt.id)
    while newer is not None:
        chain.append(session.get(Receipt, newer))
        newer = receipts_corrected_by(session, [newer]).get(newer)
    return chain


def use_history(session: Session, use: KitchenUse) -> list[KitchenUse]:
    """Every record of a use's chain of corrections, the first one first (the newest counts)."""
    chain = [use]
    while chain[0].corrects_use_id is not None:
        chain.insert(0, session.get(KitchenUse, chain[0].corrects_use_id))
    newer = uses_corrected_by(session, [use.id]).get(use.id)
    while newer is not None:
        chain.append(session.get(KitchenUse, newer))
        newer = uses_corrected_by(session, [newer]).get(newer)
    return chain
