"""Retained samples (留样): one per dish of every meal, kept chilled, discarded only after the minimum time.

domain.md §3.2 and §8.7: each dish of each meal, at least 125 g, in a dedicated fridge for
at least 48 hours, with its name, weight, time and who took it; nothing may be thrown away
before the time is up. Both figures are settings (``TRACE_RETAINED_SAMPLE_MIN_GRAMS``,
``TRACE_RETAINED_SAMPLE_MIN_HOURS``): a school may keep a stricter rule. The keeping time
in force when a sample is taken is written on it (``discard_not_before``), so changing the
setting later does not move a sample already in the fridge.

Taking and discarding are events on the meal's chain (``sampling``, ``destroying``);
discarding is a record of its own, never an edit of the sample. Samples taken together (a
meal's dishes after cooking) or discarded together (what is due in the fridge) are one event
naming each sample; every sample and every discarding is still a row of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlmodel import Session

from canteens.meal_models import RetainedSample, RetainedSampleDiscard
from canteens.meals import assert_kitchen_actor, dish_not_on_menu, meal_lock, meal_name_zh, menu_of
from trace.clock import local_date, local_zone
from trace.custody import Actor, record_event, stream_of
from trace.db import quantity, run_prebuilt, utcnow
from trace.errors import Conflict, Invalid, NotFound
from trace.locking import lock_for_change
from trace.settings import get_settings

# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=2)


def _local_text(at: datetime) -> str:
    return f"{at.astimezone(local_zone()):%Y年%-m月%-d日 %H:%M}"


def _aware(at: datetime) -> datetime:
    """A time given without its offset is the district's local time."""
    return at.replace(tzinfo=local_zone()) if at.tzinfo is None else at


def sample_get(session: Session, sample_id: int) -> RetainedSample:
    sample = session.get(RetainedSample, sample_id)
    if sample is None:
        raise NotFound("sample_not_found", f"留样记录 {sample_id} 不存在", f"Retained sample {sample_id} not found",
                       sample_id=sample_id)
    return sample


@dataclass(frozen=True)
class SampleIn:
    """One dish's sample as it is taken: weighed, put in a fridge at a place, at a time (None: now)."""

    dish: str
    weight_grams: Decimal
    fridge: str
    position: str = ""
    taken_at: datetime | None = None


# Samples and their discarding are written once, with Core statements, and handed back as the rows
# the database returned (as kitchen uses are): the demo writes thousands of them.
_SAMPLES = RetainedSample.__table__
_INSERT_SAMPLE = insert(_SAMPLES).returning(*_SAMPLES.c)
_DISCARDS = RetainedSampleDiscard.__table__
_INSERT_DISCARD = insert(_DISCARDS).returning(*_DISCARDS.c)
_DISCARD_OF = select(*_DISCARDS.c).where(_DISCARDS.c.sample_id == bindparam("sample_id"))
_LOCK_SAMPLES = (select(_SAMPLES.c.id, _SAMPLES.c.meal_id, _SAMPLES.c.dish, _SAMPLES.c.event_id)
                 .where(_SAMPLES.c.id.in_(bindparam("ids", expanding=True))).order_by(_SAMPLES.c.id)
                 .with_for_update(key_share=True))
_DISCARDED_AMONG = select(_DISCARDS.c.sample_id).where(_DISCARDS.c.sample_id.in_(bindparam("ids", expanding=True)))


def sample_take(session: Session, *, actor: Actor, meal_id: int, dish: str, weight_grams: Decimal, fridge: str,
                position: str = "", taken_at: datetime | None = None) -> Row[Any]:
    """留样: a sample of one dish of the meal, weighed, labelled with its fridge and place."""
    return samples_take(session, actor=actor, meal_id=meal_id, taken=[SampleIn(
        dish=dish, weight_grams=weight_grams, fridge=fridge, position=position, taken_at=taken_at)])[0]


def samples_take(session: Session, *, actor: Actor, meal_id: int, taken: list[SampleIn]) -> list[Row[Any]]:
    """留样 of the dishes of one meal taken together: one ``sampling`` event names them all (one sample's
    event carries its fields; several samples' a ``samples`` list), each sample a row of its own.
    Every sample is checked before anything is written."""
    meal = meal_lock(session, meal_id)
    assert_kitchen_actor(actor, meal.school_id)
    settings = get_settings()
    minimum = quantity(settings.retained_sample_min_grams)
    menu = menu_of(session, meal.id)
    checked = []
    for one in taken:
        weight = quantity(one.weight_grams)
        if weight < minimum:
            raise Invalid("sample_under_minimum_weight",
                          f"留样每个品种不少于 {minimum.normalize():f} 克，本次只有 {weight.normalize():f} 克",
                          f"A retained sample weighs at least {minimum.normalize():f} g; this one is "
                          f"{weight.normalize():f} g", weight_grams=str(weight), minimum_grams=str(minimum))
        dish = one.dish.strip()
        if dish not in menu:
            raise dish_not_on_menu(meal, dish)
        fridge, position = one.fridge.strip(), one.position.strip()
        if not fridge:
            raise Invalid("sample_fridge_required", "请填写留样冰箱（留样柜）", "Name the fridge the sample is kept in")
        now = utcnow()
        taken_at = _aware(one.taken_at) if one.taken_at is not None else now
        if taken_at > now + CLOCK_SKEW:
            raise Invalid("date_in_future", "留样时间不能晚于现在", "A sample cannot be taken in the future")
        if local_date(taken_at) != meal.meal_date:
            raise Invalid("sample_not_on_meal_day", f"留样时间须在就餐当天（{meal_name_zh(meal)}）",
                          "A meal's sample is taken on the day of the meal",
                          taken_at=taken_at.isoformat(), meal_date=meal.meal_date.isoformat())
        checked.append({"dish": dish, "weight_grams": weight, "fridge": fridge, "position": position,
                        "taken_at": taken_at,
                        "discard_not_before": taken_at + timedelta(hours=settings.retained_sample_min_hours)})
    if not checked:
        raise Invalid("samples_required", "请至少登记一份留样", "Record at least one sample")
    described = [{**one, "taken_at": one["taken_at"].isoformat(),
                  "discard_not_before": one["discard_not_before"].isoformat()} for one in checked]
    rules = {"min_grams": minimum, "min_hours": settings.retained_sample_min_hours}
    event = record_event(
        session, stream=stream_of("meal", meal.id), biz_step="sampling", action="ADD", actor=actor,
        subject_type="meal", subject_id=meal.id, school_id=meal.school_id,
        occurred_at=max(one["taken_at"] for one in checked),
        payload={**described[0], **rules} if len(described) == 1 else {"samples": described, **rules})
    recorded_at = utcnow()
    rows = run_prebuilt(session, _INSERT_SAMPLE, [{
        **one, "meal_id": meal.id, "school_id": meal.school_id, "taken_by": actor.user_id,
        "recorded_at": recorded_at, "event_id": event.event_id} for one in checked]).all()
    return sorted(rows, key=lambda row: row.id)


def discard_of(session: Session, sample_id: int) -> Row[Any] | None:
    return run_prebuilt(session, _DISCARD_OF, {"sample_id": sample_id}).first()


def sample_discard(session: Session, *, actor: Actor, sample_id: int, at: datetime | None = None,
                   note: str = "") -> Row[Any]:
    """Throw a sample away: refused, writing nothing, before its minimum keeping time is up."""
    # Locked for change: two staff discarding the same sample at once are put in turn.
    sample = lock_for_change(session, RetainedSample, sample_id, fresh=("discard_not_before",))
    if sample is None:
        sample_get(session, sample_id)  # raises the 404
    assert_kitchen_actor(actor, sample.school_id)
    if (done := discard_of(session, sample.id)) is not None:
        raise Conflict("sample_already_discarded", f"该留样已于 {_local_text(done.discarded_at)} 处理",
                       f"This sample was discarded at {done.discarded_at.isoformat()}", sample_id=sample.id)
    now = utcnow()
    at = _aware(at) if at is not None else now
    if at > now + CLOCK_SKEW:
        raise Invalid("date_in_future", "处理时间不能晚于现在", "A sample cannot be discarded in the future")
    if at < sample.discard_not_before:
        hours = get_settings().retained_sample_min_hours
        raise Conflict("sample_discard_too_early",
                       f"留样须冷藏至少 {hours} 小时，{_local_text(sample.discard_not_before)} 之前不能处理",
                       f"A retained sample is kept at least {hours} hours; it may not be discarded before "
                       f"{sample.discard_not_before.isoformat()}",
                       sample_id=sample.id, discard_not_before=sample.discard_not_before.isoformat())
    event = record_event(
        session, stream=stream_of("meal", sample.meal_id), biz_step="destroying", action="DELETE",
        disposition="destroyed", actor=actor, subject_type="meal", subject_id=sample.meal_id,
        school_id=sample.school_id, occurred_at=at,
        payload={"sample_id": sample.id, "dish": sample.dish, "sample_event_id": sample.event_id,
                 "note": note.strip()})
    return run_prebuilt(session, _INSERT_DISCARD, {
        "sample_id": sample.id, "discarded_at": at, "discarded_by": actor.user_id, "note": note.strip()[:200],
        "recorded_at": utcnow(), "event_id": event.event_id}).one()


def samples_discard_due(session: Session, *, actor: Actor, school_id: int, at: datetime | None = None,
                        note: str = "") -> list[Row[Any]]:
    """Throw away every sample of the school whose keeping time is up at ``at`` (default now): one
    ``destroying`` event per meal naming its samples, each discarding a row of its own."""
    assert_kitchen_actor(actor, school_id)
    now = utcnow()
    at = _aware(at) if at is not None else now
    if at > now + CLOCK_SKEW:
        raise Invalid("date_in_future", "处理时间不能晚于现在", "A sample cannot be discarded in the future")
    by_meal: dict[int, list[Row[Any]]] = {}
    due = [sample.id for sample in samples_due_for_discard(session, school_id, at=at, limit=1000)]
    if not due:
        return []
    # Locked as one discarding locks its sample (in one statement): a second person discarding the
    # same samples waits, then finds them gone.
    locked = run_prebuilt(session, _LOCK_SAMPLES, {"ids": due}).all()
    gone = set(run_prebuilt(session, _DISCARDED_AMONG, {"ids": due}).scalars())
    for sample in locked:
        if sample.id not in gone:
            by_meal.setdefault(sample.meal_id, []).append(sample)
    rows = []
    for meal_id, found in by_meal.items():
        event = record_event(
            session, stream=stream_of("meal", meal_id), biz_step="destroying", action="DELETE",
            disposition="destroyed", actor=actor, subject_type="meal", subject_id=meal_id, school_id=school_id,
            occurred_at=at, payload={"samples": [{"sample_id": s.id, "dish": s.dish, "sample_event_id": s.event_id}
                                                 for s in found], "note": note.strip()})
        recorded_at = utcnow()
        rows += run_prebuilt(session, _INSERT_DISCARD, [{
            "sample_id": s.id, "discarded_at": at, "discarded_by": actor.user_id, "note": note.strip()[:200],
            "recorded_at": recorded_at, "event_id": event.event_id} for s in found]).all()
    return rows


def samples_of_meal(session: Session, meal_id: int) -> list[tuple[RetainedSample, RetainedSampleDiscard | None]]:
    """A meal's samples, each with its discarding if it was discarded."""
    statement = (select(RetainedSample, RetainedSampleDiscard)
                 .outerjoin(RetainedSampleDiscard, RetainedSampleDiscard.sample_id == RetainedSample.id)
                 .where(RetainedSample.meal_id == meal_id).order_by(RetainedSample.id))
    return [(sample, discard) for sample, discard in session.execute(statement)]


def samples_due_for_discard(session: Session, school_id: int, *, at: datetime | None = None, limit: int = 100,
                            offset: int = 0) -> list[RetainedSample]:
    """A school's samples still in the fridge whose keeping time is up, longest due first."""
    at = at or utcnow()
    discarded = select(RetainedSampleDiscard.sample_id)
    statement = (select(RetainedSample)
                 .where(RetainedSample.school_id == school_id, RetainedSample.discard_not_before <= at,
                        RetainedSample.id.not_in(discarded))
                 .order_by(RetainedSample.discard_not_before, RetainedSample.id).limit(limit).offset(offset))
    return list(session.execute(statement).scalars())
