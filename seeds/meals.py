"""The demo in the kitchen: stock on hand, and each meal cooked from it.

A meal of a school day is opened with its dishes before cooking, its lots go into it through
``canteens.meals.meal_use`` (the kitchen's gates as they are), a sample of every dish is kept
(留样: 125 g and more, in a named fridge and place, by one of the school's staff), it is served
(the transformation event) and a school leader eats with the students (陪餐). Two days after,
the afternoon's staff throw away the samples whose keeping time is up. One school forgets its
samples on a few days (``days_without_samples``), so the warning has something to show.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from canteens import kitchen as canteen_kitchen
from canteens import meals as canteen_meals
from canteens import samples as canteen_samples
from canteens.models import Meal
from canteens.samples import SampleIn
from seeds.kitchen import (
    DINNER_SAMPLE_FRIDGE,
    DISCARD_TIME,
    DISHES,
    LEADER_GIVEN,
    LEADER_SURNAMES,
    LEADER_TITLES,
    LUNCH_SHARE,
    MEAL_TIMES,
    MENU_TIME,
    SAMPLE_FRIDGE,
    SAMPLE_GRAMS,
    STAPLES,
)
from seeds.plans import Delivery, OnHand, ProductSpec, SchoolPlan, at_about
from trace.clock import local_zone
from trace.db import quantity

# The school that forgets its samples on the days in ``days_without_samples`` (by its place in the file).
FORGETFUL_SCHOOL = 5


def _dish(product: ProductSpec) -> str:
    if product.code in DISHES:
        return DISHES[product.code]
    return "餐后水果" if product.category == "水果" else f"清炒{product.name.split('（')[0]}"


@dataclass(frozen=True)
class PlannedUse:
    """One 出库 the meal will take: a lot, how much, for which dish ("" for the whole meal)."""

    batch_id: int
    amount: Decimal
    unit: str
    dish: str


def _after(day: date, start: time, minutes: int) -> datetime:
    return datetime.combine(day, start, tzinfo=local_zone()) + timedelta(minutes=minutes)


class InTheKitchen:
    """The generator's kitchen (mixed into :class:`seeds.activity.ActivityGenerator`)."""

    seed: int
    products: dict[str, ProductSpec]
    staples: set[str]
    batches: dict[int, tuple[str, date]]
    schools: list[SchoolPlan]
    # Days the forgetful school keeps no sample (the loader names a few recent ones).
    days_without_samples: frozenset[date] = frozenset()

    # --- the kitchen -----------------------------------------------------------------------

    def _stock(self, session: Session, school: SchoolPlan, day: date) -> dict[str, list[OnHand]]:
        """Unexpired stock on hand by product code, first-expiring batch first."""
        # Every batch in stock was registered by this run: seed_demo refuses a database with activity.
        rows: dict[str, list[OnHand]] = defaultdict(list)
        for row in canteen_kitchen.stock_of_school(session, school.id):
            code, expiry = self.batches[row.batch_id]
            if expiry >= day:
                rows[code].append(OnHand(row.batch_id, expiry, row.on_hand))
        for batches in rows.values():
            batches.sort(key=lambda r: (r.expiry, r.batch_id))
        return rows

    def _fresh_uses(self, school: SchoolPlan, deliveries: list[Delivery], meal: Meal) -> list[PlannedUse]:
        """Fresh goods go into the day's meals: all at lunch, or 55/45 with dinner for boarders."""
        planned = []
        for delivery in deliveries:
            product = delivery.product
            if product.code in self.staples or delivery.accepted <= 0:
                continue
            whole_day = not school.boarding or product.category in ("水果", "乳制品")
            if whole_day and meal != Meal.lunch:
                continue
            lunch = delivery.accepted if whole_day else quantity(delivery.accepted * LUNCH_SHARE)
            amount = lunch if meal == Meal.lunch else delivery.accepted - lunch
            if amount > 0:
                planned.append(PlannedUse(delivery.batch_id, amount, product.unit, _dish(product)))
        return planned

    def _staple_uses(self, school: SchoolPlan, day: date, meal: Meal,
                     stock: dict[str, list[OnHand]]) -> list[PlannedUse]:
        """The staples due at this meal, first-expiring batch first, never beyond what is on hand."""
        planned = []
        for slot, staple in STAPLES.items():
            if school.use_meal(staple) != meal or (staple.weekly and day.weekday() != school.seasoning_weekday):
                continue
            code = school.product_code(slot)
            need = quantity(school.daily_need(staple) * (5 if staple.weekly else 1))
            for row in stock.get(code, []):
                take = min(need, row.quantity)
                if take <= 0:
                    continue
                planned.append(PlannedUse(row.batch_id, take, self.products[code].unit, staple.dish))
                row.quantity -= take
                need -= take
                if need <= 0:
                    break
        return planned

    def _cook(self, session: Session, rng: random.Random, school: SchoolPlan, day: date, meal: Meal,
              deliveries: list[Delivery], stock: dict[str, list[OnHand]]) -> None:
        """One meal from opening to 陪餐: its dishes, its lots, a sample of each dish, serving."""
        planned = self._fresh_uses(school, deliveries, meal) + self._staple_uses(school, day, meal, stock)
        if not planned:
            return
        cook, keeper = school.staff
        start = MEAL_TIMES[meal]
        dishes = list(dict.fromkeys(use.dish for use in planned if use.dish))
        opened = canteen_meals.meal_get_or_create(session, actor=cook, meal_date=day, meal=meal, dishes=dishes,
                                                  occurred_at=_after(day, start, -20))
        for use in planned:
            canteen_meals.meal_use(session, actor=cook, meal_id=opened.id, batch_id=use.batch_id,
                                   quantity=use.amount, unit=use.unit, dish=use.dish,
                                   occurred_at=at_about(day, start, rng, 30))
        if not (school.index == FORGETFUL_SCHOOL and day in self.days_without_samples):
            taken_at = _after(day, start, 50) + timedelta(seconds=rng.randrange(300))
            canteen_samples.samples_take(session, actor=keeper, meal_id=opened.id, taken=[SampleIn(
                dish=dish, weight_grams=Decimal(rng.choice(SAMPLE_GRAMS)), fridge=DINNER_SAMPLE_FRIDGE if meal == Meal.dinner else SAMPLE_FRIDGE,
                position=f"第{n // 4 + 1}层{'左右'[n % 2]}",
                taken_at=taken_at,
            ) for n, dish in enumerate(dishes)])
        canteen_meals.meal_serve(session, actor=cook, meal_id=opened.id, occurred_at=_after(day, start, 70))
        name, title = self._leader(school, day, meal)
        canteen_meals.meal_record_companion(session, actor=keeper, meal_id=opened.id, name=name, title=title,
                                            occurred_at=_after(day, start, 110 + rng.randrange(20)))

    def _leader(self, school: SchoolPlan, day: date, meal: Meal) -> tuple[str, str]:
        """The school's leaders take turns at 陪餐 (three per school, fixed for the run)."""
        rng = random.Random(f"{self.seed}:leaders:{school.index}")
        leaders = [(rng.choice(LEADER_SURNAMES) + rng.choice(LEADER_GIVEN), title) for title in LEADER_TITLES]
        return leaders[(day.toordinal() + list(Meal).index(meal)) % len(leaders)]

    def _discard_samples(self, session: Session, rng: random.Random, day: date) -> None:
        """In the afternoon, each canteen throws away the samples whose keeping time is up."""
        at = datetime.combine(day, DISCARD_TIME, tzinfo=local_zone())
        for school in self.schools:
            canteen_samples.samples_discard_due(session, actor=school.staff[1], school_id=school.id,
                                                at=at + timedelta(minutes=rng.randrange(20)), note="到期处理")

    def _plan_menu(self, session: Session, school: SchoolPlan, day: date, deliveries: list[Delivery],
                   stock: dict[str, list[OnHand]], now: datetime) -> None:
        """This morning: the day's meals opened with the dishes the kitchen will cook, nothing used yet."""
        for meal in school.meals:
            fresh = [_dish(d.product) for d in deliveries if d.product.code not in self.staples and (
                meal == Meal.lunch or (meal == Meal.dinner and d.product.category not in ("水果", "乳制品")))]
            staples = [use.dish for use in self._staple_uses(school, day, meal, stock)]
            dishes = list(dict.fromkeys(dish for dish in fresh + staples if dish))
            if dishes:
                canteen_meals.meal_get_or_create(session, actor=school.staff[0], meal_date=day, meal=meal,
                                                 dishes=dishes, occurred_at=min(_after(day, MENU_TIME, 0), now))
