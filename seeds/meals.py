"""The demo in the kitchen: stock on hand, and what each meal takes out of it (出库)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from canteens import kitchen as canteen_kitchen
from canteens.models import Meal
from canteens.schemas import UseCreate
from seeds.kitchen import DISHES, LUNCH_SHARE, MEAL_TIMES, STAPLES
from seeds.plans import Delivery, OnHand, ProductSpec, SchoolPlan, at_about
from suppliers import service as supplier_service
from trace.db import quantity


def _dish(product: ProductSpec) -> str:
    if product.code in DISHES:
        return DISHES[product.code]
    return "餐后水果" if product.category == "水果" else f"清炒{product.name.split('（')[0]}"


class InTheKitchen:
    """The generator's kitchen use (mixed into :class:`seeds.activity.ActivityGenerator`)."""

    products: dict[str, ProductSpec]
    staples: set[str]
    batches: dict[int, tuple[str, date]]
    held: list[object]

    # --- the kitchen -----------------------------------------------------------------------

    def _stock(self, session: Session, school: SchoolPlan, day: date) -> dict[str, list[OnHand]]:
        """Unexpired stock on hand by product code, first-expiring batch first."""
        # Every batch in stock was registered by this run: seed_demo refuses a database with activity.
        rows: dict[str, list[OnHand]] = defaultdict(list)
        for row in canteen_kitchen.stock_of_school(session, school.id):
            code, expiry = self.batches[row.batch_id]
            if expiry >= day:
                rows[code].append(OnHand(row.batch_id, expiry, row.on_hand))
        # Each use reads its batch; load the older ones together rather than one by one.
        self.held += supplier_service.batches_by_id(
            session, (r.batch_id for batches in rows.values() for r in batches)).values()
        for batches in rows.values():
            batches.sort(key=lambda r: (r.expiry, r.batch_id))
        return rows

    def _use(self, session: Session, rng: random.Random, school: SchoolPlan, batch_id: int, amount: Decimal,
             unit: str, day: date, meal: Meal, dish: str) -> None:
        canteen_kitchen.use_create(session, actor=school.staff[0], data=UseCreate(
            batch_id=batch_id, quantity=amount, unit=unit, use_date=day, meal=meal, dish=dish,
        ), occurred_at=at_about(day, MEAL_TIMES[meal], rng, 30))

    def _use_fresh(self, session: Session, rng: random.Random, school: SchoolPlan, deliveries: list[Delivery],
                   day: date, meal: Meal) -> None:
        """Fresh goods go into the day's meals: all at lunch, or 55/45 with dinner for boarders."""
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
                self._use(session, rng, school, delivery.batch_id, amount, product.unit, day, meal, _dish(product))

    def _use_staples(self, session: Session, rng: random.Random, school: SchoolPlan, day: date, meal: Meal,
                     stock: dict[str, list[OnHand]]) -> None:
        """Take out the staples due at this meal, first-expiring batch first, never beyond what is on hand."""
        for slot, staple in STAPLES.items():
            if school.use_meal(staple) != meal or (staple.weekly and day.weekday() != school.seasoning_weekday):
                continue
            code = school.product_code(slot)
            need = quantity(school.daily_need(staple) * (5 if staple.weekly else 1))
            for row in stock.get(code, []):
                take = min(need, row.quantity)
                if take <= 0:
                    continue
                self._use(session, rng, school, row.batch_id, take, self.products[code].unit, day, meal, staple.dish)
                row.quantity -= take
                need -= take
                if need <= 0:
                    break
