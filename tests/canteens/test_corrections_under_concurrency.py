"""Two people correcting the same record at once: one correction is written, the other is told
which record now stands, and the stock moves once.

Each round starts WRITERS threads, each with its own database session (its own connection), at
one barrier, all correcting the same receipt (or use) to a different quantity. The batch lock
orders them (trace.locking) and the first to commit wins; the others find the record corrected
after the lock (409 …_already_corrected). The unique index on ``corrects_…_id`` is the floor
under that: never two corrections of one record. On PostgreSQL the threads really race; on
SQLite they queue on the write lock, and the outcome must be the same.
"""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from canteens import corrections
from canteens import service as canteen_service
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.models import KitchenUse, Meal, Receipt, Stock
from canteens.schemas import UseCreate
from tests.factories import make_world, today
from trace.checkpoints import verify_log
from trace.custody import Actor
from trace.db import write_transaction
from trace.errors import DomainError

ROUNDS = 3
WRITERS = 4


def _race(engine, correct) -> tuple[Counter, list[Decimal]]:
    """Run ``correct(session, n)`` in WRITERS threads at once; their outcomes, and the winners' quantities."""
    barrier = threading.Barrier(WRITERS)
    outcomes: Counter = Counter()
    won: list[Decimal] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                with write_transaction(session):
                    row = correct(session, n)
                    session.commit()
                outcome = "written"
                with lock:
                    won.append(row)
            except DomainError as refused:
                session.rollback()
                outcome = refused.code
            except Exception as failed:  # noqa: BLE001 — any other failure is the finding
                session.rollback()
                outcome = type(failed).__name__
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, won


def test_of_two_corrections_of_one_receipt_at_once_only_one_is_written(engine, session):
    for _ in range(ROUNDS):
        world = make_world(session)
        receipt = world.receive(session, world.ship(session, "100"), "100")
        session.commit()
        staff = Actor.of(world.staff)

        outcomes, won = _race(engine, lambda s, n: corrections.receipt_correct(
            s, actor=staff, receipt_id=receipt.id, data=ReceiptCorrection(
                accepted_quantity=Decimal(90 - n), rejected_quantity=Decimal(0), unit="kg", reason=f"第 {n} 人更正")))

        assert outcomes == Counter({"written": 1, "receipt_already_corrected": WRITERS - 1}), outcomes
        session.expire_all()
        written = session.execute(select(func.count()).select_from(Receipt)
                                  .where(Receipt.corrects_receipt_id == receipt.id)).scalar_one()
        assert written == 1
        stock = session.execute(select(Stock).where(Stock.batch_id == world.batch.id)).scalar_one()
        assert stock.received_quantity == won[0].accepted_quantity
    assert verify_log(session).ok


def test_of_two_corrections_of_one_use_at_once_only_one_is_written(engine, session):
    for _ in range(ROUNDS):
        world = make_world(session)
        world.receive(session, world.ship(session, "100"), "100")
        staff = Actor.of(world.staff)
        use = canteen_service.use_create(session, actor=staff, data=UseCreate(
            batch_id=world.batch.id, quantity=Decimal(30), unit="kg", use_date=today(), meal=Meal.lunch))
        session.commit()

        outcomes, won = _race(engine, lambda s, n: corrections.use_correct(
            s, actor=staff, use_id=use.id, data=UseCorrection(quantity=Decimal(20 + n), unit="kg",
                                                                reason=f"第 {n} 人更正")))

        assert outcomes == Counter({"written": 1, "use_already_corrected": WRITERS - 1}), outcomes
        session.expire_all()
        written = session.execute(select(func.count()).select_from(KitchenUse)
                                  .where(KitchenUse.corrects_use_id == use.id)).scalar_one()
        assert written == 1
        stock = session.execute(select(Stock).where(Stock.batch_id == world.batch.id)).scalar_one()
        assert stock.used_quantity == won[0].quantity
    assert verify_log(session).ok
