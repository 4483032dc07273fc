"""The demo loader: reference data through the services, and school days of activity
that are reproducible, conserve quantities and leave a verifiable custody log."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from canteens.models import KitchenUse, Receipt, School, Shipment, Stock
from seeds.loader import SeedError, school_days_ending, school_days_from, seed_demo, seed_reference
from suppliers.models import Batch, Product, Supplier, SupplierStatus
from trace import registry
from trace.checkpoints import verify_log
from trace.clock import local_today
from trace.db import make_engine
from trace.models import CustodyEvent, Role, User

# A fixed, past start keeps the test world the same whatever day the suite runs.
START = date(2025, 9, 1)
SEED = 7


def count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def seeded_days(engine: Engine) -> Engine:
    seed_demo(engine, days=3, start=START, seed=SEED)
    return engine


def test_reference_creates_the_catalogue(session: Session) -> None:
    seed_reference(session)
    session.commit()

    assert (count(session, School), count(session, Supplier), count(session, Product)) == (32, 12, 60)
    users = session.execute(select(User.role, func.count()).group_by(User.role)).all()
    assert dict(users) == {Role.admin: 1, Role.inspector: 1, Role.supplier: 12, Role.canteen_staff: 64}


def test_reference_applies_suspension_and_dishonest_listing(session: Session) -> None:
    seed_reference(session)

    suppliers = session.execute(select(Supplier)).scalars().all()
    assert [s.name for s in suppliers if s.status == SupplierStatus.suspended] == ["示例章丘聚丰食材配送有限公司"]
    assert [s.name for s in suppliers if s.dishonest] == ["示例济南诚达食品贸易有限公司"]
    assert all(s.status_note for s in suppliers if s.dishonest or s.status == SupplierStatus.suspended)


def test_reference_gives_fresh_produce_platform_gtins(session: Session) -> None:
    reference = seed_reference(session)

    _, cabbage = reference.products["P-VEG-01"]
    _, rice = reference.products["P-RICE-01"]
    assert cabbage.gtin_assigned and len(cabbage.gtin) == 14
    assert not rice.gtin_assigned and rice.gtin == "06970000000116"


def test_reference_is_idempotent(session: Session) -> None:
    first = seed_reference(session)
    session.commit()
    events = count(session, CustodyEvent)

    second = seed_reference(session)

    assert not session.new and not session.dirty
    assert count(session, CustodyEvent) == events
    assert second.admin.id == first.admin.id
    assert [s.supplier.id for s in second.suppliers] == [s.supplier.id for s in first.suppliers]
    assert [s.staff[1].id for s in second.schools] == [s.staff[1].id for s in first.schools]


def test_demo_is_deterministic(seeded_days: Engine, tmp_path: Path) -> None:
    # On PostgreSQL this compares against SQLite: the same seed must give the same world anywhere.
    other = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    registry.metadata.create_all(other)
    try:
        seed_demo(other, days=3, start=START, seed=SEED)
        worlds = []
        for engine in (seeded_days, other):
            with Session(engine) as session:
                worlds.append({
                    "counts": [count(session, m) for m in (Batch, Shipment, Receipt, KitchenUse, CustodyEvent)],
                    "lots": session.execute(select(Batch.lot_code).order_by(Batch.id)).scalars().all(),
                    "shipped": session.execute(select(func.sum(Shipment.quantity))).scalar_one(),
                })
    finally:
        other.dispose()
    assert worlds[0] == worlds[1]
    assert worlds[0]["counts"][0] > 0


def test_demo_conserves_quantities(seeded_days: Engine) -> None:
    """No batch ships more than it holds; no canteen uses more of a batch than it accepted."""
    shipped: dict[int, Decimal] = defaultdict(Decimal)
    received: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    used: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    with Session(seeded_days) as session:
        for shipment in session.execute(select(Shipment)).scalars():
            shipped[shipment.batch_id] += shipment.quantity
        for receipt in session.execute(select(Receipt)).scalars():
            received[receipt.school_id, receipt.batch_id] += receipt.accepted_quantity
        for use in session.execute(select(KitchenUse)).scalars():
            used[use.school_id, use.batch_id] += use.quantity
        batches = session.execute(select(Batch)).scalars().all()
        stocks = session.execute(select(Stock)).scalars().all()

    assert shipped and used
    for batch in batches:
        assert shipped[batch.id] == batch.shipped_quantity <= batch.quantity, batch.lot_code
    for stock in stocks:
        key = (stock.school_id, stock.batch_id)
        assert used[key] == stock.used_quantity <= stock.received_quantity == received[key], key


def test_demo_log_verifies(seeded_days: Engine) -> None:
    with Session(seeded_days) as session:
        report = verify_log(session)

    assert report.ok, report.as_dict()["first_problem"]
    assert report.events_checked > 1000


def test_demo_refuses_a_database_with_activity(engine: Engine) -> None:
    seed_demo(engine, days=1, start=START, seed=SEED)

    with pytest.raises(SeedError, match="--reset"):
        seed_demo(engine, days=1, start=START, seed=SEED)


def test_demo_refuses_days_after_yesterday(engine: Engine) -> None:
    with pytest.raises(SeedError, match="after yesterday"):
        seed_demo(engine, days=1, start=local_today())


def test_default_days_end_yesterday_on_a_school_day() -> None:
    yesterday = date(2026, 11, 30)  # a Monday

    assert school_days_ending(yesterday, 3) == [date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)]


def test_school_days_skip_national_day_and_winter_holiday() -> None:
    assert school_days_ending(date(2025, 10, 10), 4) == [date(2025, 9, 30), date(2025, 10, 8), date(2025, 10, 9),
                                                         date(2025, 10, 10)]
    assert school_days_from(date(2026, 1, 14), 2) == [date(2026, 1, 14), date(2026, 2, 16)]


def test_a_school_year_is_about_190_days() -> None:
    first, last = date(2025, 9, 1), date(2026, 6, 30)
    days = school_days_from(first, 400)

    assert 180 <= sum(1 for day in days if day <= last) <= 200
    assert all(day.month not in (7, 8) for day in days)
