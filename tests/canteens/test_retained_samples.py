"""Retained samples (留样): every dish of every meal, at least 125 g, kept at least 48 hours (domain.md §3.2, §8.7)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from canteens import meals, samples
from canteens.dates import occurred_on
from canteens.meal_models import RetainedSample, RetainedSampleDiscard
from canteens.meal_review import meal_view
from tests.canteens.meal_steps import events_outside_accounts, open_meal
from tests.factories import bearer, days_ago, make_school, make_user, make_world
from tests.helpers import assert_refused
from trace.clock import local_date
from trace.custody import events_in_stream
from trace.db import utcnow
from trace.errors import Conflict, Invalid
from trace.models import Role
from trace.settings import get_settings


@pytest.fixture
def world(session):
    return make_world(session)


def take(session, world, meal, *, dish="番茄炒蛋", grams="150", taken_at=None, fridge="留样柜1"):
    sample = samples.sample_take(session, actor=world.actor(world.staff), meal_id=meal.id, dish=dish,
                                 weight_grams=Decimal(grams), fridge=fridge, position="第2层左", taken_at=taken_at)
    session.commit()
    return sample


def taken_hours_ago(session, world, hours: float, **overrides):
    """A sample of a meal of the day it was taken, ``hours`` ago."""
    at = utcnow() - timedelta(hours=hours)
    meal = open_meal(session, world, day=local_date(at))
    return take(session, world, meal, taken_at=at, **overrides)


def discard(session, world, sample, **overrides):
    done = samples.sample_discard(session, actor=world.actor(world.staff), sample_id=sample.id, **overrides)
    session.commit()
    return done


def count(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# --- taking a sample ------------------------------------------------------------------------------

def test_a_sample_is_kept_with_its_dish_weight_fridge_who_and_when(session, world):
    meal = open_meal(session, world)

    sample = take(session, world, meal, dish="番茄炒蛋", grams="150")

    assert (sample.meal_id, sample.dish, sample.weight_grams, sample.fridge, sample.position, sample.taken_by) == (
        meal.id, "番茄炒蛋", Decimal("150"), "留样柜1", "第2层左", world.staff.id)
    assert sample.discard_not_before == sample.taken_at + timedelta(hours=48)
    event = events_in_stream(session, f"meal:{meal.id}")[-1]
    assert (event.biz_step, event.action, event.event_id) == ("sampling", "ADD", sample.event_id)
    assert json.loads(event.payload)["weight_grams"] == "150.000"


def test_a_sample_of_exactly_125_g_is_enough(session, world):
    assert take(session, world, open_meal(session, world), grams="125").weight_grams == Decimal("125")


def test_a_sample_under_125_g_is_refused_and_nothing_is_written(session, world):
    meal = open_meal(session, world)
    before = events_outside_accounts(session)

    with pytest.raises(Invalid) as refused:
        take(session, world, meal, grams="124.9")

    session.rollback()
    assert refused.value.code == "sample_under_minimum_weight"
    assert refused.value.details["minimum_grams"] == "125.000"
    assert (count(session, RetainedSample), events_outside_accounts(session)) == (0, before)


def test_a_stricter_minimum_weight_is_a_setting(session, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "retained_sample_min_grams", Decimal("200"))
    meal = open_meal(session, world)

    with pytest.raises(Invalid) as refused:
        take(session, world, meal, grams="150")

    assert refused.value.code == "sample_under_minimum_weight"


def test_a_sample_of_a_dish_not_on_the_menu_is_refused(session, world):
    meal = open_meal(session, world, dishes=("米饭",))

    with pytest.raises(Conflict) as refused:
        take(session, world, meal, dish="红烧肉")

    assert refused.value.code == "dish_not_on_menu"


def test_a_sample_is_taken_on_the_day_of_its_meal(session, world):
    meal = open_meal(session, world, day=days_ago(1))

    with pytest.raises(Invalid) as refused:
        take(session, world, meal, taken_at=utcnow())

    assert refused.value.code == "sample_not_on_meal_day"


# --- discarding -----------------------------------------------------------------------------------

def test_discarding_before_48_hours_is_refused_and_writes_nothing(session, world):
    sample = taken_hours_ago(session, world, 47)
    before = events_outside_accounts(session)

    with pytest.raises(Conflict) as refused:
        discard(session, world, sample)

    session.rollback()
    assert refused.value.code == "sample_discard_too_early"
    assert refused.value.details["discard_not_before"] == sample.discard_not_before.isoformat()
    assert (count(session, RetainedSampleDiscard), events_outside_accounts(session)) == (0, before)


def test_after_48_hours_a_sample_is_discarded_by_a_record_of_its_own(session, world):
    sample = taken_hours_ago(session, world, 49)

    done = discard(session, world, sample, note="到期处理")

    session.expire_all()
    kept = session.get(RetainedSample, sample.id)
    assert (kept.weight_grams, kept.event_id) == (Decimal("150"), sample.event_id)  # the sample itself is not edited
    assert (done.sample_id, done.discarded_by, done.note) == (sample.id, world.staff.id, "到期处理")
    event = events_in_stream(session, f"meal:{sample.meal_id}")[-1]
    assert (event.biz_step, event.action, event.disposition, event.event_id) == (
        "destroying", "DELETE", "destroyed", done.event_id)


def test_the_keeping_time_is_a_setting_written_on_each_sample(session, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "retained_sample_min_hours", 72)
    sample = taken_hours_ago(session, world, 60)
    monkeypatch.setattr(get_settings(), "retained_sample_min_hours", 48)

    with pytest.raises(Conflict) as refused:
        discard(session, world, sample)

    assert refused.value.code == "sample_discard_too_early"


def test_a_sample_is_discarded_once(session, world):
    sample = taken_hours_ago(session, world, 50)
    discard(session, world, sample)

    with pytest.raises(Conflict) as refused:
        discard(session, world, sample)

    assert refused.value.code == "sample_already_discarded"


def test_samples_due_for_discard_are_those_past_their_time_and_still_in_the_fridge(session, world):
    due = taken_hours_ago(session, world, 60, dish="米饭")
    thrown_away = taken_hours_ago(session, world, 60, dish="番茄炒蛋")
    taken_hours_ago(session, world, 30, dish="米饭")
    discard(session, world, thrown_away)
    elsewhere = make_world(session)
    taken_hours_ago(session, elsewhere, 60)

    assert [s.id for s in samples.samples_due_for_discard(session, world.school.id)] == [due.id]


# --- the meal's review --------------------------------------------------------------------------------

def test_a_meal_with_a_dish_lacking_its_sample_is_warned(session, world):
    meal = open_meal(session, world, dishes=("米饭", "番茄炒蛋"))

    assert {w["code"] for w in meal_view(session, meal).warnings} >= {"meal_without_sample", "dish_without_sample"}
    take(session, world, meal, dish="米饭")
    warnings = meal_view(session, meals.meal_get(session, meal.id)).warnings

    assert [(w["code"], w["details"]) for w in warnings if "sample" in w["code"]] == [
        ("dish_without_sample", {"dish": "番茄炒蛋"})]
    take(session, world, meal, dish="番茄炒蛋")
    assert not [w for w in meal_view(session, meal).warnings if "sample" in w["code"]]


# --- through the API -------------------------------------------------------------------------------

def test_a_sample_under_the_minimum_is_refused_through_the_api(client, session, world):
    meal = open_meal(session, world)

    response = client.post(f"/api/v1/meals/{meal.id}/samples", headers=bearer(session, world.staff),
                           json={"dish": "米饭", "weight_grams": "100", "fridge": "留样柜1"})

    assert_refused(response, 422, "sample_under_minimum_weight")


def test_a_sample_is_taken_listed_due_and_discarded_through_the_api(client, session, world):
    staff = bearer(session, world.staff)
    day = days_ago(3)
    meal = open_meal(session, world, day=day)
    taken = client.post(f"/api/v1/meals/{meal.id}/samples", headers=staff, json={
        "dish": "米饭", "weight_grams": "150", "fridge": "留样柜1", "taken_at": occurred_on(day).isoformat()})
    assert taken.status_code == 201, taken.text
    sample_id = taken.json()["id"]

    due = client.get(f"/api/v1/schools/{world.school.id}/samples/due", headers=bearer(session, world.inspector))
    assert [s["id"] for s in due.json()] == [sample_id]
    discarded = client.post(f"/api/v1/samples/{sample_id}/discard", headers=staff, json={"note": "到期"})
    assert discarded.status_code == 201, discarded.text
    assert client.get(f"/api/v1/schools/{world.school.id}/samples/due", headers=staff).json() == []
    [listed] = client.get(f"/api/v1/meals/{meal.id}", headers=staff).json()["samples"]
    assert listed["discard_event_id"] == discarded.json()["event_id"]


def test_discarding_too_early_is_refused_through_the_api(client, session, world):
    sample = take(session, world, open_meal(session, world))

    response = client.post(f"/api/v1/samples/{sample.id}/discard", headers=bearer(session, world.staff), json={})

    assert_refused(response, 409, "sample_discard_too_early")


def test_a_sample_of_another_school_is_not_found(client, session, world):
    sample = taken_hours_ago(session, world, 50)
    other = bearer(session, make_user(session, Role.canteen_staff, school_id=make_school(session).id))

    assert_refused(client.post(f"/api/v1/samples/{sample.id}/discard", headers=other, json={}), 404,
                   "sample_not_found")
    assert count(session, RetainedSampleDiscard) == 0
