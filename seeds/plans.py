"""What the demo generator plans with: the catalogue's entries as registered, each school's
buying habits, a delivery followed from order to receipt, and the time of day things happen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from canteens.models import Meal
from seeds.catalogue import SeedProduct, SeedSupplier
from seeds.kitchen import Staple, per_meal_kg
from trace.clock import local_zone
from trace.custody import Actor


@dataclass(frozen=True)
class ProductSpec(SeedProduct):
    """A catalogue entry with the id it was registered under."""

    id: int


@dataclass(frozen=True)
class SupplierSpec(SeedSupplier):
    """A supplier of the catalogue, registered: its id, its place in the file, its account."""

    number: int
    id: int
    actor: Actor


@dataclass(frozen=True)
class SchoolPlan:
    """What one school buys: fixed for the run so each canteen has its own habits."""

    index: int
    id: int
    kind: str
    people: int
    students: int
    meals: tuple[Meal, ...]
    milk: bool
    rice: str
    oil: str
    fruit_weekdays: tuple[int, ...]
    fish_weekdays: tuple[int, ...]
    seasoning_weekday: int
    staff: tuple[Actor, Actor]

    @property
    def boarding(self) -> bool:
        return Meal.dinner in self.meals

    def product_code(self, slot: str) -> str:
        return {"rice": self.rice, "oil": self.oil}.get(slot, slot)

    def daily_need(self, staple: Staple) -> float:
        per_person = staple.per_person(self.kind)
        return self.people * sum(per_person.get(meal, 0) for meal in self.meals)

    def use_meal(self, staple: Staple) -> Meal | None:
        """The meal a staple is taken out for: the first one of its meals this school serves."""
        return next((meal for meal in Meal if meal in staple.shares and meal in self.meals), None)

    def per_meal(self, group: str) -> float:
        """kg per person at one meal of a guideline food group (WS/T 554-2017)."""
        return per_meal_kg(group, self.kind)


@dataclass
class OnHand:
    """What a canteen still holds of one batch, drawn down as the day's uses are recorded."""

    batch_id: int
    expiry: date
    quantity: Decimal


@dataclass
class Delivery:
    """One order line of the day, from order to receipt (plain values, not rows)."""

    school: SchoolPlan
    supplier: SupplierSpec
    product: ProductSpec
    line_id: int
    quantity: Decimal  # in the product's base unit
    ordered_quantity: Decimal
    ordered_unit: str
    batch_id: int = 0
    accepted: Decimal = Decimal(0)


def at_about(day: date, start: time, rng: random.Random, spread_minutes: int,
             not_after: datetime | None = None) -> datetime:
    """A time of day near ``start``; ``not_after`` (now, on the demo's morning) keeps it out of the future."""
    moment = datetime.combine(day, start, tzinfo=local_zone())
    moment += timedelta(minutes=rng.randrange(spread_minutes), seconds=rng.randrange(60))
    return min(moment, not_after) if not_after else moment
