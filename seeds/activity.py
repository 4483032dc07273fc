"""A deterministic generator of school-day activity for the demo, through the services only.

Each school day: schools order (admin records the procurement platform's orders),
suppliers register the day's lots and ship them, canteen staff receive, rapid-test
vegetables and fruit, and cook meal by meal (each meal with its dishes, the lots taken into it,
a retained sample of every dish, serving and 陪餐; samples discarded after 48 hours). Fresh goods are
used the day they arrive; staples (grain, oil, seasonings) are bought when stock runs
low and drawn down over the following days, first-expiring first.

Randomness comes from one ``random.Random`` per (seed, day): the same seed gives the
same days, whatever ran before, and the global generator is never touched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from canteens.models import Meal
from seeds.door import AtTheDoor
from seeds.kitchen import BOARDING_KINDS, FISH_DAYS_PER_WEEK, FRUIT_DAYS_PER_WEEK, OILS, RICE, STAPLES
from seeds.meals import InTheKitchen
from seeds.ordering import Ordering
from seeds.plans import Delivery, ProductSpec, SchoolPlan, SupplierSpec
from seeds.reference import SeededSchool, SeedReference
from suppliers import service as supplier_service
from trace.custody import Actor
from trace.errors import DomainError


@dataclass(frozen=True)
class Morning:
    """What :meth:`ActivityGenerator.run_morning` left waiting at the canteens' doors."""

    day: date
    orders: int
    shipments: int
    next_day: date
    next_day_orders: int


class ActivityGenerator(Ordering, AtTheDoor, InTheKitchen):
    """Generates school days one at a time; remembers the lots it registered across days."""

    def __init__(self, reference: SeedReference, *, seed: int) -> None:
        self.seed = seed
        self.admin = Actor.of(reference.admin)
        self.products = {code: ProductSpec(**vars(spec), id=product.id)
                         for code, (spec, product) in reference.products.items()}
        self.suppliers = [SupplierSpec(**vars(s.seed), number=s.number, id=s.supplier.id, actor=Actor.of(s.user))
                          for s in reference.suppliers]
        self.by_category = {
            category: [p for p in self.products.values() if p.category == category]
            for category in dict.fromkeys(p.category for p in self.products.values())
        }
        rng = random.Random(f"{seed}:plans")
        self.schools = [self._plan(rng, index, s) for index, s in enumerate(reference.schools)]
        self.staples = set(STAPLES) - {"rice", "oil"} | set(RICE) | set(OILS)
        self.papers = {code: supplier_service.product_required_papers(product)
                       for code, (_spec, product) in reference.products.items()}
        self.arrival = {code: supplier_service.arrival_limits(product)
                        for code, (_spec, product) in reference.products.items()}
        self.inspector = Actor.of(reference.inspector)
        self.on_hold: dict[int, int] = {}  # batch id → school whose test put it on hold
        self.papers_seen: dict[int, list[str]] = {}  # batch id → its papers, ticked at every receipt
        self.batches: dict[int, tuple[str, date]] = {}  # batch id → (product code, expiry)
        self.lots: set[tuple[str, str]] = set()

    def _plan(self, rng: random.Random, index: int, seeded: SeededSchool) -> SchoolPlan:
        boarding = seeded.seed.kind in BOARDING_KINDS
        return SchoolPlan(
            index=index, id=seeded.school.id, kind=seeded.seed.kind, people=seeded.seed.students + seeded.seed.staff,
            students=seeded.seed.students,
            meals=(Meal.breakfast, Meal.lunch, Meal.dinner) if boarding else (Meal.lunch,),
            milk=seeded.seed.kind in ("幼儿园", "小学", "九年一贯制") and rng.random() < 0.5,
            rice=rng.choice(RICE), oil=rng.choice(OILS),
            fruit_weekdays=tuple(sorted(rng.sample(range(5), FRUIT_DAYS_PER_WEEK))),
            fish_weekdays=tuple(sorted(rng.sample(range(5), FISH_DAYS_PER_WEEK))),
            seasoning_weekday=rng.randrange(5),
            staff=(Actor.of(seeded.staff[0]), Actor.of(seeded.staff[1])),
        )

    # --- one day ---------------------------------------------------------------------------

    def run_day(self, session: Session, day: date) -> None:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        self._confirm_holds(session, rng, day)
        available = self._available_suppliers(session, day)
        deliveries: list[Delivery] = []
        sequence = 0
        for school in self.schools:
            stock = self._stock(session, school, day)
            for supplier, wanted in self._needs(rng, school, day, stock, available).items():
                sequence += 1
                deliveries += self._order(session, rng, school, supplier, wanted, day, sequence)
        self._register_batches(session, rng, deliveries, day)
        # Every canteen's door first, then the kitchens: a lot put on hold at one school's door
        # in the morning is not cooked at another's at noon.
        for school in self.schools:
            if school.boarding:
                self._cook(session, rng, school, day, Meal.breakfast, [], self._stock(session, school, day))
            for delivery in deliveries:
                if delivery.school is school:
                    self._ship_and_receive(session, rng, delivery, day)
        for school in self.schools:
            mine = [d for d in deliveries if d.school is school and d.batch_id not in self.on_hold]
            stock = self._stock(session, school, day)
            for meal in school.meals[1:] if school.boarding else school.meals:
                self._cook(session, rng, school, day, meal, mine, stock)
        self._discard_samples(session, rng, day)

    # --- this morning ----------------------------------------------------------------------

    def run_morning(self, session: Session, day: date, next_day: date, now: datetime) -> Morning:
        """Today up to the canteens' door: orders placed yesterday, lots registered and shipped before
        dawn, nothing received or cooked yet (the day's meals are opened with their dishes, not served);
        and the next school day's fresh orders, not shipped.

        Nothing happens after ``now`` (services refuse future dates; times of day are held back to now).
        Yesterday's holds stay on hold: the laboratory reports later in the morning.
        """
        rng = random.Random(f"{self.seed}:{day.isoformat()}:morning")
        available = self._available_suppliers(session, day)
        deliveries: list[Delivery] = []
        sequence = 0
        for school in self.schools:
            stock = self._stock(session, school, day)
            for supplier, wanted in self._needs(rng, school, day, stock, available).items():
                sequence += 1
                deliveries += self._order(session, rng, school, supplier, wanted, day, sequence, now)
        self._register_batches(session, rng, deliveries, day, now)
        shipped = sum(self._ship(session, rng, delivery, day, now) is not None for delivery in deliveries)
        for school in self.schools:
            self._plan_menu(session, school, day, [d for d in deliveries if d.school is school],
                            self._stock(session, school, day), now)
        # Staples arriving today cover the next day: ask only for its fresh goods.
        available, ahead = self._available_suppliers(session, next_day), 0
        for school in self.schools:
            stock = self._stock(session, school, next_day)
            for supplier, wanted in self._needs(rng, school, next_day, stock, available).items():
                fresh = [line for line in wanted if line[0].code not in self.staples]
                if fresh:
                    ahead += 1
                    self._order(session, rng, school, supplier, fresh, next_day, ahead, now)
        return Morning(day=day, orders=sequence, shipments=shipped, next_day=next_day, next_day_orders=ahead)

    def _available_suppliers(self, session: Session, day: date) -> set[int]:
        return {spec.number for spec in self.suppliers if self._may_supply(session, spec, day)}

    @staticmethod
    def _may_supply(session: Session, spec: SupplierSpec, on: date) -> bool:
        """The service's own rule (standing and a valid licence on the day), asked, not re-implemented."""
        try:
            supplier_service.supplier_assert_may_supply(session, supplier_service.supplier_get(session, spec.id), on)
        except DomainError:
            return False
        return True

    def _supplier_for(self, school: SchoolPlan, category: str, available: set[int]) -> SupplierSpec | None:
        """The school's usual supplier for a category, or the next one that may supply today."""
        candidates = [s for s in self.suppliers if category in s.categories]
        for step in range(len(candidates)):
            candidate = candidates[(school.index + step) % len(candidates)]
            if candidate.number in available:
                return candidate
        return None
