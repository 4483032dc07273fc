"""The demo's morning: loaded without a start on a school day, every school finds today's
deliveries on the way (ordered earlier, shipped before dawn, not yet received, nothing cooked)
and orders for the next school day; on a weekend the days end yesterday and nothing more."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from canteens.meal_models import MealDish, RetainedSample, SchoolMeal
from canteens.models import KitchenUse, Meal, OrderRevision, PurchaseOrder, Receipt, School, Shipment
from seeds.loader import DEMO_PASSWORD, SeedSummary, seed_demo, staff_username
from suppliers import service as supplier_service
from suppliers.models import Batch, Product
from tests.helpers import form_token, sign_in
from trace import clock, registry
from trace.db import make_engine
from trace.models import CustodyEvent

SEED = 7
WEDNESDAY = date(2025, 9, 3)  # a school day; the two days before it are Monday and Tuesday
SHANGHAI = clock.ZoneInfo("Asia/Shanghai")
EVENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def freeze(monkeypatch: pytest.MonkeyPatch, day: date, at: time) -> datetime:
    """Make ``day`` today for the services, the loader and the pages: the clock's own source of now."""
    now = datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    return now


def due_on(session: Session, day: date) -> list[PurchaseOrder]:
    return session.execute(select(PurchaseOrder).join(OrderRevision, OrderRevision.order_id == PurchaseOrder.id)
                           .where(OrderRevision.revision == PurchaseOrder.current_revision,
                                  OrderRevision.delivery_date == day)).scalars().all()


def local_occurred(event: CustodyEvent) -> datetime:
    at = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI)


@pytest.fixture
def wednesday_morning(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> SeedSummary:
    freeze(monkeypatch, WEDNESDAY, time(10, 0))
    return seed_demo(engine, days=2, seed=SEED)


def test_every_school_expects_todays_orders_shipped_and_not_received(engine: Engine,
                                                                     wednesday_morning: SeedSummary) -> None:
    with Session(engine) as session:
        schools = session.execute(select(School.id)).scalars().all()
        today = due_on(session, WEDNESDAY)
        shipped = session.execute(select(Shipment).where(Shipment.ship_date == WEDNESDAY)).scalars().all()
        received_today = session.execute(select(func.count()).select_from(Receipt)
                                         .where(Receipt.receipt_date == WEDNESDAY)).scalar_one()
        used_today = session.execute(select(func.count()).select_from(KitchenUse)
                                     .where(KitchenUse.use_date == WEDNESDAY)).scalar_one()

    assert (wednesday_morning.start, wednesday_morning.end) == (date(2025, 9, 1), date(2025, 9, 2))
    assert {o.school_id for o in today} == set(schools)
    assert {s.school_id for s in shipped} == set(schools)
    assert all(s.accounted_quantity == 0 for s in shipped)  # in transit: nothing checked at the door yet
    assert (received_today, used_today) == (0, 0)
    assert "this morning (2025-09-03)" in wednesday_morning.morning


def test_the_morning_ships_before_half_past_six_and_orders_the_day_before(engine: Engine,
                                                                         wednesday_morning: SeedSummary) -> None:
    with Session(engine) as session:
        shipped_ids = [str(i) for i in session.execute(select(Shipment.id).where(Shipment.ship_date == WEDNESDAY))
                       .scalars()]
        shipping = session.execute(select(CustodyEvent).where(CustodyEvent.biz_step == "shipping",
                                                              CustodyEvent.subject_id.in_(shipped_ids))).scalars()
        ship_times = [local_occurred(e) for e in shipping]
        placed = [f"{o.order_number}#1" for o in due_on(session, WEDNESDAY)]
        order_days = {local_occurred(e).date() for e in session.execute(
            select(CustodyEvent).where(CustodyEvent.subject_type == "order_revision",
                                       CustodyEvent.subject_id.in_(placed))).scalars()}

    assert len(ship_times) == len(shipped_ids) > 0
    assert all(at.date() == WEDNESDAY and at.time() < time(6, 30) for at in ship_times)
    assert order_days == {date(2025, 9, 2)}


def test_the_next_school_day_has_orders_not_yet_shipped(engine: Engine, wednesday_morning: SeedSummary) -> None:
    with Session(engine) as session:
        thursday = due_on(session, date(2025, 9, 4))
        shipped = session.execute(select(func.count()).select_from(Shipment)
                                  .where(Shipment.ship_date > WEDNESDAY)).scalar_one()

    assert thursday and shipped == 0
    assert f"{len(thursday)} orders for 2025-09-04" in wednesday_morning.morning


def test_todays_meals_are_on_the_menu_and_not_served_yet(engine: Engine, wednesday_morning: SeedSummary) -> None:
    with Session(engine) as session:
        today = session.execute(select(SchoolMeal).where(SchoolMeal.meal_date == WEDNESDAY)).scalars().all()
        schools = session.execute(select(School.id)).scalars().all()
        dishes = session.execute(select(func.count()).select_from(MealDish)
                                 .where(MealDish.meal_id.in_([m.id for m in today]))).scalar_one()
        samples = session.execute(select(func.count()).select_from(RetainedSample)
                                  .where(RetainedSample.meal_id.in_([m.id for m in today]))).scalar_one()

    assert {m.school_id for m in today if m.meal == Meal.lunch} == set(schools)
    assert all(m.served_at is None for m in today)
    assert dishes >= len(today) and samples == 0


def test_a_load_before_dawn_writes_nothing_after_now(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    now = freeze(monkeypatch, WEDNESDAY, time(3, 10))

    seed_demo(engine, days=1, seed=SEED)

    with Session(engine) as session:
        # The reference data is recorded at the real now (the custody log's own clock): leave it out.
        todays = [at for at in map(local_occurred, session.execute(select(CustodyEvent)).scalars())
                  if at.date() == WEDNESDAY]
        shipped = session.execute(select(func.count()).select_from(Shipment)
                                  .where(Shipment.ship_date == WEDNESDAY)).scalar_one()
    assert shipped > 0 and len(todays) >= shipped
    assert max(todays) <= now


def test_a_weekend_gets_no_morning_and_the_summary_says_so(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    saturday = date(2025, 9, 6)
    freeze(monkeypatch, saturday, time(10, 0))

    summary = seed_demo(engine, days=1, seed=SEED)

    with Session(engine) as session:
        ahead = session.execute(select(func.count()).select_from(OrderRevision)
                                .where(OrderRevision.delivery_date >= saturday)).scalar_one()
    assert summary.end == date(2025, 9, 5) and ahead == 0
    assert summary.morning == "today (2025-09-06) is not a school day: no morning deliveries generated"


def test_an_explicit_start_gets_no_morning(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, WEDNESDAY, time(10, 0))

    summary = seed_demo(engine, days=1, start=date(2025, 9, 2), seed=SEED)

    with Session(engine) as session:
        assert not due_on(session, WEDNESDAY)
    assert summary.morning == ""


def test_the_morning_changes_none_of_the_days_before_it(engine: Engine, wednesday_morning: SeedSummary,
                                                       tmp_path: Path) -> None:
    """Event for event, the days before today are those a load with an explicit start writes."""
    def events(on: Engine) -> list[tuple]:
        with Session(on) as session:
            rows = session.execute(select(CustodyEvent).order_by(CustodyEvent.id)).scalars().all()
            # The reference data happens at the real now (after the frozen today): its instant is no part of a day.
            # A payload may name other events (a meal's serving, its uses) by their ids, random in each load.
            return [(e.stream, e.seq, e.biz_step, e.action, e.subject_type, e.subject_id, e.actor_user_id,
                     at if at.date() <= WEDNESDAY else None, EVENT_ID.sub("<event>", e.payload))
                    for e, at in ((e, local_occurred(e)) for e in rows)]

    days_only = make_engine(f"sqlite:///{tmp_path / 'days-only.db'}")
    registry.metadata.create_all(days_only)
    try:
        seed_demo(days_only, days=2, start=date(2025, 9, 1), seed=SEED)
        before, with_morning = events(days_only), events(engine)
    finally:
        days_only.dispose()

    assert len(with_morning) > len(before)
    assert with_morning[:len(before)] == before
    assert all(at.date() >= WEDNESDAY - timedelta(days=1) for *_, at, _ in with_morning[len(before):])
    assert sum(at is not None for *_, at, _ in before) > len(before) // 2  # the days' instants were compared


def test_a_canteen_worker_finds_the_mornings_deliveries_and_receives_one(
        engine: Engine, wednesday_morning: SeedSummary, client) -> None:
    with Session(engine) as session:
        school = session.execute(select(School).where(School.code == "ZQ-S01")).scalar_one()
        on_the_way = session.execute(select(Shipment, Batch, Product)
                                     .join(Batch, Batch.id == Shipment.batch_id)
                                     .join(Product, Product.id == Batch.product_id)
                                     .where(Shipment.school_id == school.id, Shipment.ship_date == WEDNESDAY)
                                     .order_by(Shipment.id)).all()
    sign_in(client, staff_username(school.code, 1), DEMO_PASSWORD)

    page = client.get("/canteen/deliveries")

    assert page.status_code == 200
    assert "在途" in page.text and "今天没有应到的订单" not in page.text
    for shipment, batch, _product in on_the_way:
        assert batch.lot_code in page.text
        assert f'href="/canteen/receive?shipment={shipment.id}"' in page.text
    # Two people at the door: the first scans the lot and fills the check, the second confirms it with
    # their own username and password on the same phone.
    shipment, batch, _product = next(row for row in on_the_way if not row[2].cold_chain and not row[2].rapid_test)
    with Session(engine) as session:
        papers = [c.kind for c in supplier_service.certificates_of(session, batch.id)]
    form = client.get("/canteen/receive", params={"code": batch.lot_code})
    assert form.status_code == 200 and 'data-offline="receipt-check"' in form.text
    opened = client.post("/canteen/receipt-checks", follow_redirects=False, data={
        "shipment_id": str(shipment.id), "accepted_quantity": str(shipment.quantity), "unit": shipment.unit,
        "receipt_date": WEDNESDAY.isoformat(), "certificates_checked": papers, "csrf_token": form_token(form.text)})
    assert opened.status_code == 303, opened.text
    check = client.get(opened.headers["location"])
    received = client.post(opened.headers["location"] + "/confirm", follow_redirects=False, data={
        "username": staff_username(school.code, 2), "password": DEMO_PASSWORD, "csrf_token": form_token(check.text)})
    assert received.status_code == 303, received.text
    with Session(engine) as session:
        assert session.get(Shipment, shipment.id).accounted_quantity == shipment.quantity
