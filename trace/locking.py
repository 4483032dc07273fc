"""Row locks for the rules that a status decides, and the one order they are taken in.

A gate such as "a held batch may not be used" is only true if it is decided *after*
the lock that orders it with the change it guards: a use that read the batch's status
before waiting for a lock would go through after the hold committed (found on
PostgreSQL with eight processes: 3–20 uses recorded after a hold). So every writer
locks the rows its gates read, then reads them fresh, then decides.

Every writer takes its locks in this order, and only in this order, so no two writers
can each hold what the other waits for (a hold that locked the batch and then its chain
head, while a use locked the chain head and then the batch through a foreign-key check,
deadlocked):

0. a meal row (``FOR SHARE`` by what adds to the meal: a use into it, a dish, 陪餐, a sample;
   ``FOR NO KEY UPDATE`` by its serving), or a retained sample's row when it is discarded
   (canteens.meals, canteens.samples): nothing locks a batch first and a meal after; or a
   receipt check's row (``FOR UPDATE`` by its confirmation or withdrawal, canteens.receipt_checks;
   opening a check takes no lock on other checks: the batch lock orders two checks of one shipment);
1. the batch row (``FOR NO KEY UPDATE``): shipments, receipts, uses, test results,
   holds, releases and recalls of that batch;
2. the supplier row (``FOR SHARE`` by the writers its standing gates; ``FOR NO KEY
   UPDATE`` by a change of standing);
3. the order row (``FOR SHARE`` by a shipment against one of its lines; ``FOR NO KEY
   UPDATE`` by a revision);
4. running totals of the batch (what it shipped, a shipment's accounted quantity, a
   canteen's stock of it), each moved by one conditional UPDATE: rows that belong to the
   batch, so no writer reaches them without the batch lock;
5. chain heads (:func:`trace.custody.record_event`), the batch's chain first, then new rows.

``NO KEY UPDATE`` rather than ``UPDATE``: rows that refer to a batch or a supplier take
``KEY SHARE`` on it through their foreign key, and must not wait for a status change.
On SQLite, writers run one at a time (``BEGIN IMMEDIATE``): the locks are no-ops there,
but the fresh reads still matter to a session that loaded the row earlier.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from trace.db import get_kept, run_prebuilt

T = TypeVar("T")


def lock_for_change(session: Session, model: type[T], row_id: Any, *, fresh: tuple[str, ...]) -> T | None:
    """The row, locked until the transaction ends against other changes and gates, its
    ``fresh`` columns (the ones a status change moves) read under the lock."""
    return _locked(session, model, row_id, fresh, "change")


def lock_for_gate(session: Session, model: type[T], row_id: Any, *, fresh: tuple[str, ...]) -> T | None:
    """The row, shared-locked until the transaction ends so that its status cannot change
    under a decision taken on it (many gates may share it at once), its ``fresh`` columns
    read under the lock."""
    return _locked(session, model, row_id, fresh, "gate")


def _locked(session: Session, model: type[T], row_id: Any, fresh: tuple[str, ...], mode: str) -> T | None:
    # The lock reads only the columns a status change moves, with a prebuilt statement; the
    # row itself usually sits in the session already. Loading the whole row again with
    # populate_existing cost more than the rest of a kitchen use.
    values = run_prebuilt(session, _statement(model, fresh, mode), {"row_id": row_id}).first()
    if values is None:
        return None
    instance = get_kept(session, model, row_id)
    for key, value in zip(fresh, values, strict=True):
        if instance.__dict__.get(key, _UNLOADED) != value:  # type: ignore[union-attr]
            set_committed_value(instance, key, value)
    return instance


_UNLOADED = object()


def _statement(model: type, fresh: tuple[str, ...], mode: str) -> Any:
    statement = _STATEMENTS.get((model, fresh, mode))
    if statement is None:
        lock = {"key_share": True} if mode == "change" else {"read": True}
        table = model.__table__  # type: ignore[attr-defined]
        statement = _STATEMENTS[(model, fresh, mode)] = (
            select(*(table.c[key] for key in fresh)).where(table.c.id == bindparam("row_id")).with_for_update(**lock))
    return statement


_STATEMENTS: dict[tuple[type, tuple[str, ...], str], Any] = {}
