"""The demo's meals (issue 12, item 7): every school day's meals with their dishes and lots, a school
leader at each (陪餐), a retained sample of every dish (留样, at least 125 g, in a named fridge and
place, by the school's staff), served; samples thrown away once their 48 hours are up; and one
school that forgot its samples on two recent days, so the warning has something to show."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from canteens.meal_models import MealCompanion, MealDish, RetainedSample, RetainedSampleDiscard, SchoolMeal
from canteens.meal_review import meal_view
from canteens.models import KitchenUse, Meal, School
from seeds.loader import seed_demo
from trace import registry
from trace.clock import local_date
from trace.db import make_engine
from trace.models import Role, User

DAYS = [date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 3), date(2025, 9, 4)]  # Monday to Thursday


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Session:
    path: Path = tmp_path_factory.mktemp("meals") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    registry.metadata.create_all(engine)
    seed_demo(engine, days=len(DAYS), start=DAYS[0], seed=2025)
    with Session(engine) as session:
        yield session
    engine.dispose()


def all_of(session: Session, model: type) -> list:
    return list(session.execute(select(model)).scalars())


def test_every_school_has_its_meals_of_every_day_served_with_dishes_lots_and_a_school_leader(demo):
    meals = all_of(demo, SchoolMeal)
    schools = all_of(demo, School)
    dishes = Counter(d.meal_id for d in all_of(demo, MealDish))
    companions = Counter(c.meal_id for c in all_of(demo, MealCompanion))
    used = Counter((u.school_id, u.use_date, u.meal) for u in all_of(demo, KitchenUse))

    assert {(m.school_id, m.meal_date) for m in meals if m.meal == Meal.lunch} == {
        (s.id, day) for s in schools for day in DAYS}
    assert any(m.meal == Meal.breakfast for m in meals) and any(m.meal == Meal.dinner for m in meals)
    for meal in meals:
        assert meal.served_at is not None and meal.served_event_id
        assert dishes[meal.id] >= 1 and companions[meal.id] == 1
        assert used[(meal.school_id, meal.meal_date, meal.meal)] >= 1


def test_every_use_went_into_a_meal_record(demo):
    meals = {(m.school_id, m.meal_date, m.meal) for m in all_of(demo, SchoolMeal)}

    assert all((u.school_id, u.use_date, u.meal) in meals for u in all_of(demo, KitchenUse))


def test_a_sample_of_every_dish_of_at_least_125_g_in_a_named_fridge_by_the_schools_staff(demo):
    staff = {u.id: u for u in all_of(demo, User) if u.role == Role.canteen_staff}
    meals = {m.id: m for m in all_of(demo, SchoolMeal)}
    samples = all_of(demo, RetainedSample)

    for sample in samples:
        meal = meals[sample.meal_id]
        assert sample.weight_grams >= Decimal("125")
        assert sample.fridge.startswith("留样柜") and sample.position
        assert staff[sample.taken_by].school_id == meal.school_id
        assert local_date(sample.taken_at) == meal.meal_date
    sampled = {(s.meal_id, s.dish) for s in samples}
    unsampled_meals = {d.meal_id for d in all_of(demo, MealDish) if (d.meal_id, d.name) not in sampled}
    assert len(unsampled_meals) < len(meals) / 20  # only the forgetful school's few


def test_samples_are_discarded_only_after_48_hours_most_of_them_by_the_last_day(demo):
    samples = {s.id: s for s in all_of(demo, RetainedSample)}
    discards = all_of(demo, RetainedSampleDiscard)
    staff = {u.id for u in all_of(demo, User) if u.role == Role.canteen_staff}

    assert all(d.discarded_at >= samples[d.sample_id].discard_not_before for d in discards)
    assert all(d.discarded_by in staff for d in discards)
    first_day = [s for s in samples.values() if local_date(s.taken_at) == DAYS[0]]
    discarded = {d.sample_id for d in discards}
    assert first_day and sum(s.id in discarded for s in first_day) / len(first_day) > 0.6
    assert not any(s.id in discarded for s in samples.values() if local_date(s.taken_at) >= DAYS[-2])


def test_one_school_forgot_its_samples_on_two_recent_days_and_the_meal_says_so(demo):
    sampled = {s.meal_id for s in all_of(demo, RetainedSample)}
    without = [m for m in all_of(demo, SchoolMeal) if m.id not in sampled]

    assert {m.school_id for m in without} == {without[0].school_id}
    assert {m.meal_date for m in without} == {DAYS[-3], DAYS[-2]}
    codes = {w["code"] for w in meal_view(demo, without[0]).warnings}
    assert "meal_without_sample" in codes and "meal_without_companion" not in codes
