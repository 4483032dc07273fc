"""The canteen staff's meal pages: the day's meals, one meal's 出库, 陪餐, 留样 and serving, and the samples.

Who may open them is ``trace.policy``'s "work.canteen"; a meal or sample of another school is "not
found" (``MealForActor``, ``SampleForActor``). Every form carries the session's CSRF token, posts to
the same service the API calls (``canteens.meals``, ``canteens.samples``) and redirects (PRG); a
refusal comes back on the form it belongs to, in the reader's language.

The 出库 form is ``<form data-offline="meal-use" data-meal-id="…">`` with inputs named like the body
of ``POST /api/v1/meals/{id}/uses`` (the offline queue replays it); the lot code typed or scanned
(``data-scan``: a scanner gun types and presses Enter) wins over the pick list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from canteens import meal_selectors, meals, samples
from canteens.meal_deps import MealForActor, SampleForActor
from canteens.meal_models import SchoolMeal
from canteens.meal_review import meal_view
from canteens.models import MEAL_LABELS, Meal
from canteens.schools import school_get
from canteens.selectors import USABILITY_LABELS
from trace.clock import local_today, local_zone
from trace.custody import Actor
from trace.db import utcnow, write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow
from trace.settings import get_settings

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=600)]
# Dishes typed on one line or several: 米饭、番茄炒蛋，清炒白菜
DISH_SEPARATORS = re.compile(r"[\n\r,，、;；]+")
DONE = {"opened", "dish", "use", "companion", "sample", "served", "discarded"}


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


def clock_for(locale: str) -> Callable[[datetime | None], str]:
    """A time of day as the reader writes it: 11月30日 11:20, or 2026-11-30 11:20."""

    def at(moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(local_zone())
        return f"{local.month}月{local.day}日 {local:%H:%M}" if locale == "zh-CN" else f"{local:%Y-%m-%d %H:%M}"
    return at


def meal_of_the_hour() -> Meal:
    """Forms start at the meal the kitchen is most likely cooking now."""
    hour = utcnow().astimezone(local_zone()).hour
    return Meal.breakfast if hour < 10 else (Meal.lunch if hour < 15 else Meal.dinner)


def _number(text: str, *, zh: str, en: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = Decimal(0)
    if not number.is_finite() or number <= 0:
        raise Invalid("form_number_invalid", f"请填写大于 0 的{zh}", f"Enter a {en} greater than 0")
    if number != number.quantize(Decimal("0.001")):
        raise Invalid("form_number_invalid", f"{zh}最多保留三位小数", f"The {en} takes at most three decimals")
    return number


def _written(request: Request, session: SessionDep, write: Any, page: Any) -> Response | None:
    """Run a write in one transaction; a refusal rolls back and renders ``page(error)`` instead."""
    try:
        with write_transaction(session):
            write()
            session.commit()
    except DomainError as refused:
        session.rollback()
        return page(refused.status, _message(request, refused))
    return None


# --- the day's meals ------------------------------------------------------------------------


def _meals_page(request: Request, session: SessionDep, school_id: int, day: date, *, status: int = 200,
                error: str | None = None, form: dict[str, str] | None = None) -> Response:
    today = local_today()
    return render_page(
        request, "canteens/meals.html", status=status, day=day, today=today,
        meals_of_day=meal_selectors.meals_of_day(session, school_id, day), kinds=list(Meal), meal_labels=MEAL_LABELS,
        error=error, form=form or {"meal": meal_of_the_hour().value, "day": day.isoformat(), "dishes": ""},
        school=school_get(session, school_id))


@router.get("/canteen/meals")
def meals_of_day(actor: allow("work.canteen"), request: Request, session: SessionDep,
                 day: Annotated[date | None, Query()] = None) -> Response:
    """餐次: the day's breakfast, lunch and dinner (today by default) and the form to open one."""
    return _meals_page(request, session, actor.school_id, day or local_today())


@router.post("/canteen/meals")
def meal_open(actor: allow("work.canteen"), request: Request, session: SessionDep, meal_date: FormText = "",
              meal: FormText = "", dishes: FormText = "") -> Response:
    """Open a meal of a day with its dishes (or reach the one already open), then to the meal (PRG)."""
    form = {"day": meal_date, "meal": meal, "dishes": dishes}
    try:
        day = date.fromisoformat(meal_date.strip()) if meal_date.strip() else local_today()
    except ValueError:
        day = local_today()
    opened: list[SchoolMeal] = []

    def write() -> None:
        if meal not in {m.value for m in Meal}:
            raise Invalid("meal_required", "请选择早餐、午餐或晚餐", "Choose breakfast, lunch or dinner")
        names = [name.strip()[:100] for name in DISH_SEPARATORS.split(dishes) if name.strip()]
        opened.append(meals.meal_get_or_create(session, actor=actor, meal_date=day, meal=Meal(meal), dishes=names))

    refused = _written(request, session, write, lambda status, error: _meals_page(
        request, session, actor.school_id, day, status=status, error=error, form=form))
    return refused or see_other(f"/canteen/meals/{opened[0].id}?done=opened")


# --- one meal -------------------------------------------------------------------------------


def _meal_page(request: Request, session: SessionDep, actor: Actor, meal: SchoolMeal, *, status: int = 200,
               error: str | None = None, error_for: str = "", form: dict[str, str] | None = None,
               done: str = "") -> Response:
    today = local_today()
    session.refresh(meal)
    view = meal_view(session, meal)
    usable = meal_selectors.usable_lots(session, meal.school_id, today=today)
    settings = get_settings()
    people = meal_selectors.names_of_people(session, {s.taken_by for s, _ in view.samples}
                                            | {c.recorded_by for c in view.companions})
    return render_page(
        request, "canteens/meal.html", status=status, meal=meal, view=view, today=today,
        lots=meal_selectors.lots_in_meal(session, view.lots), usable=usable,
        units=list(dict.fromkeys(lot.stock.unit for lot in usable)) or ["kg"],
        sampled={sample.dish for sample, _ in view.samples}, people=people, meal_labels=MEAL_LABELS,
        usability_labels=USABILITY_LABELS, min_grams=Decimal(settings.retained_sample_min_grams).normalize(),
        min_hours=settings.retained_sample_min_hours, clock=clock_for(page_locale(request)), error=error,
        error_for=error_for, form=form or {}, done=done if done in DONE else "",
        school=school_get(session, meal.school_id))


@router.get("/canteen/meals/{meal_id}")
def meal_page(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep,
              done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """One meal: its dishes, 出库 into it (scan or pick), 陪餐, 留样 per dish, serving and its lots."""
    return _meal_page(request, session, actor, meal, done=done)


def _meal_write(request: Request, session: SessionDep, actor: Actor, meal: SchoolMeal, section: str,
                form: dict[str, str], write: Any) -> Response:
    refused = _written(request, session, write, lambda status, error: _meal_page(
        request, session, actor, meal, status=status, error=error, error_for=section, form=form))
    return refused or see_other(f"/canteen/meals/{meal.id}?done={section}#{section}")


@router.post("/canteen/meals/{meal_id}/dishes")
def meal_dish(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep,
              name: FormText = "") -> Response:
    """Put a dish on the meal's menu."""
    return _meal_write(request, session, actor, meal, "dish", {"name": name}, lambda: meals.meal_add_dish(
        session, actor=actor, meal_id=meal.id, name=name[:100]))


@router.post("/canteen/meals/{meal_id}/uses")
def meal_use(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep,
             lot_code: FormText = "", batch_id: FormText = "", quantity: FormText = "", unit: FormText = "",
             dish: FormText = "") -> Response:
    """出库 into this meal by the scanned lot code or the chosen lot; the kitchen's gates decide."""
    form = {"lot_code": lot_code, "batch_id": batch_id, "quantity": quantity, "unit": unit, "dish": dish}

    def write() -> None:
        lot = meal_selectors.lot_from_form(session, meal.school_id, lot_code=lot_code, batch_id=batch_id,
                                           today=local_today())
        amount = _number(quantity, zh="数量", en="quantity")
        meals.meal_use(session, actor=actor, meal_id=meal.id, batch_id=lot.batch.id, quantity=amount,
                       unit=(unit.strip() or lot.stock.unit)[:10], dish=dish[:100])

    return _meal_write(request, session, actor, meal, "use", form, write)


@router.post("/canteen/meals/{meal_id}/companions")
def meal_companion(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep,
                   name: FormText = "", title: FormText = "") -> Response:
    """陪餐: the school leader who ate this meal with the students."""
    return _meal_write(request, session, actor, meal, "companion", {"name": name, "title": title},
                       lambda: meals.meal_record_companion(session, actor=actor, meal_id=meal.id, name=name[:50],
                                                           title=title[:50]))


@router.post("/canteen/meals/{meal_id}/samples")
def meal_sample(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep,
                dish: FormText = "", weight_grams: FormText = "", fridge: FormText = "",
                position: FormText = "") -> Response:
    """留样 of one dish: its weight, fridge and place; who and when are the signed-in person and now."""
    form = {"dish": dish, "weight_grams": weight_grams, "fridge": fridge, "position": position}

    def write() -> None:
        weight = _number(weight_grams, zh="留样重量（克）", en="sample weight (g)")
        samples.sample_take(session, actor=actor, meal_id=meal.id, dish=dish[:100], weight_grams=weight,
                            fridge=fridge[:40], position=position[:40])

    return _meal_write(request, session, actor, meal, "sample", form, write)


@router.post("/canteen/meals/{meal_id}/serve")
def meal_serve(actor: allow("work.canteen"), meal: MealForActor, request: Request, session: SessionDep) -> Response:
    """结束供餐: the meal's lots are transformed into it; nothing more goes in."""
    return _meal_write(request, session, actor, meal, "served", {},
                       lambda: meals.meal_serve(session, actor=actor, meal_id=meal.id))


# --- retained samples ------------------------------------------------------------------------


def _samples_page(request: Request, session: SessionDep, school_id: int, *, status: int = 200,
                  error: str | None = None, done: str = "") -> Response:
    now, today = utcnow(), local_today()
    held = meal_selectors.samples_held(session, school_id)
    return render_page(
        request, "canteens/samples.html", status=status, now=now, today=today,
        due=[h for h in held if h.due(now)], keeping=[h for h in held if not h.due(now)],
        unsampled=meal_selectors.meals_without_sample(session, school_id, today=today),
        unsampled_days=meal_selectors.UNSAMPLED_DAYS, hours_left=meal_selectors.hours_left,
        people=meal_selectors.names_of_people(session, {h.sample.taken_by for h in held}),
        meal_labels=MEAL_LABELS, min_hours=get_settings().retained_sample_min_hours,
        clock=clock_for(page_locale(request)), error=error, done=done if done in DONE else "",
        school=school_get(session, school_id))


@router.get("/canteen/samples")
def samples_page(actor: allow("work.canteen"), request: Request, session: SessionDep,
                 done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """留样: samples in the fridge with when each may go, those due for discard, meals left without one."""
    return _samples_page(request, session, actor.school_id, done=done)


@router.post("/canteen/samples/{sample_id}/discard")
def sample_discard(actor: allow("work.canteen"), sample: SampleForActor, request: Request, session: SessionDep,
                   note: FormText = "") -> Response:
    """Discard a sample whose keeping time is up (refused before), then back to the list (PRG)."""
    refused = _written(request, session, lambda: samples.sample_discard(
        session, actor=actor, sample_id=sample.id, note=note[:200]), lambda status, error: _samples_page(
        request, session, actor.school_id, status=status, error=error))
    return refused or see_other("/canteen/samples?done=discarded")


@router.post("/canteen/samples/discard-due")
def samples_discard_due(actor: allow("work.canteen"), request: Request, session: SessionDep) -> Response:
    """Discard every sample whose keeping time is up, in one go (what is due in the fridge), then back (PRG)."""
    refused = _written(request, session, lambda: samples.samples_discard_due(
        session, actor=actor, school_id=actor.school_id, note="到期处理"), lambda status, error: _samples_page(
        request, session, actor.school_id, status=status, error=error))
    return refused or see_other("/canteen/samples?done=discarded")
