"""A deterministic generator of school-day activity for the demo, through the services only.

Each school day: schools order (admin records the procurement platform's orders),
suppliers register the day's lots and ship them, canteen staff receive, rapid-test
vegetables and fruit, and take goods into the kitchen meal by meal. Fresh goods are
used the day they arrive; staples (grain, oil, seasonings) are bought when stock runs
low and drawn down over the following days, first-expiring first.

Randomness comes from one ``random.Random`` per (seed, day): the same seed gives the
same days, whatever ran before, and the global generator is never touched.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

from sqlmodel import Session

from canteens import service as canteen_service
from canteens.models import Meal
from canteens.schemas import OrderCreate, OrderLineIn, OrderRevise, ReceiptCreate, ShipmentCreate, UseCreate
from inspections import service as inspection_service
from inspections.models import TestOutcome
from seeds.catalogue import SeedProduct, SeedSupplier
from seeds.kitchen import (
    BOARDING_FRESH_FACTOR,
    BOARDING_KINDS,
    DISHES,
    LOT_TIME,
    LUNCH_SHARE,
    MEAL_TIMES,
    OILS,
    ORDER_TIME,
    ORIGINS,
    PRICE_BY_CATEGORY,
    PRICE_FEN,
    RECEIPT_TIME,
    RICE,
    SHIP_TIME,
    STAPLES,
    Staple,
)
from suppliers import service as supplier_service
from suppliers.schemas import BatchCreate, CertificateIn
from trace.clock import local_zone
from trace.custody import Actor
from trace.db import quantity
from trace.errors import DomainError

if TYPE_CHECKING:
    from seeds.loader import SeededSchool, SeedReference



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
    people: int
    students: int
    meals: tuple[Meal, ...]
    milk: bool
    rice: str
    oil: str
    fruit_weekdays: tuple[int, ...]
    fish_weekday: int
    seasoning_weekday: int
    staff: tuple[Actor, Actor]

    @property
    def boarding(self) -> bool:
        return Meal.dinner in self.meals

    def product_code(self, slot: str) -> str:
        return {"rice": self.rice, "oil": self.oil}.get(slot, slot)

    def daily_need(self, staple: Staple) -> float:
        return self.people * sum(staple.per_person.get(meal, 0) for meal in self.meals)

    def use_meal(self, staple: Staple) -> Meal | None:
        """The meal a staple is taken out for: the first one of its meals this school serves."""
        return next((meal for meal in staple.per_person if meal in self.meals), None)


@dataclass
class OnHand:
    """What a canteen still holds of one batch, drawn down as the day's uses are recorded."""

    batch_id: int
    expiry: date
    quantity: Decimal


@dataclass
class Delivery:
    """One order line of the day, from order to receipt (plain values, not rows: see ``held``)."""

    school: SchoolPlan
    supplier: SupplierSpec
    product: ProductSpec
    line_id: int
    quantity: Decimal  # in the product's base unit
    ordered_quantity: Decimal
    ordered_unit: str
    batch_id: int = 0
    accepted: Decimal = Decimal(0)


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a product's letter in its supplier's lot codes."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def _at(day: date, start: time, rng: random.Random, spread_minutes: int) -> datetime:
    moment = datetime.combine(day, start, tzinfo=local_zone())
    return moment + timedelta(minutes=rng.randrange(spread_minutes), seconds=rng.randrange(60))


def _half_kg(amount: float) -> Decimal:
    return max(Decimal("0.5"), Decimal(round(amount * 2)) / 2)


def _dish(product: ProductSpec) -> str:
    if product.code in DISHES:
        return DISHES[product.code]
    return "餐后水果" if product.category == "水果" else f"清炒{product.name.split('（')[0]}"


class ActivityGenerator:
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
        self.held: list[object] = []
        self.batches: dict[int, tuple[str, date]] = {}  # batch id → (product code, expiry)
        self.lots: set[tuple[str, str]] = set()

    def _plan(self, rng: random.Random, index: int, seeded: SeededSchool) -> SchoolPlan:
        boarding = seeded.seed.kind in BOARDING_KINDS
        return SchoolPlan(
            index=index, id=seeded.school.id, people=seeded.seed.students + seeded.seed.staff,
            students=seeded.seed.students,
            meals=(Meal.breakfast, Meal.lunch, Meal.dinner) if boarding else (Meal.lunch,),
            milk=seeded.seed.kind in ("幼儿园", "小学", "九年一贯制") and rng.random() < 0.5,
            rice=rng.choice(RICE), oil=rng.choice(OILS),
            fruit_weekdays=tuple(sorted(rng.sample(range(5), 2))), fish_weekday=rng.randrange(5),
            seasoning_weekday=rng.randrange(5),
            staff=(Actor.of(seeded.staff[0]), Actor.of(seeded.staff[1])),
        )

    # --- one day ---------------------------------------------------------------------------

    def run_day(self, session: Session, day: date) -> None:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        # The session's identity map holds rows only while something references them, so
        # the services' session.get() of a product, supplier, school, order or batch would
        # go back to the database on every call; holding them for the day avoids that.
        self.held = [*supplier_service.product_list(session), *supplier_service.supplier_list(session),
                     *canteen_service.school_list(session)]
        available = self._available_suppliers(session, day)
        deliveries: list[Delivery] = []
        sequence = 0
        for school in self.schools:
            stock = self._stock(session, school, day)
            for supplier, wanted in self._needs(rng, school, day, stock, available).items():
                sequence += 1
                deliveries += self._order(session, rng, school, supplier, wanted, day, sequence)
        self._register_batches(session, rng, deliveries, day)
        for school in self.schools:
            mine = [d for d in deliveries if d.school is school]
            if school.boarding:
                self._use_staples(session, rng, school, day, Meal.breakfast, self._stock(session, school, day))
            for delivery in mine:
                self._ship_and_receive(session, rng, delivery, day)
            stock = self._stock(session, school, day)
            for meal in school.meals[1:] if school.boarding else school.meals:
                self._use_fresh(session, rng, school, mine, day, meal)
                self._use_staples(session, rng, school, day, meal, stock)

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

    # --- orders ----------------------------------------------------------------------------

    def _needs(self, rng: random.Random, school: SchoolPlan, day: date, stock: dict[str, list[OnHand]],
               available: set[int]) -> dict[SupplierSpec, list[tuple[ProductSpec, Decimal, str]]]:
        """Today's order lines (product, quantity, ordered unit), grouped by supplier."""
        fresh_scale = school.people * (BOARDING_FRESH_FACTOR if school.boarding else 1)
        wanted: dict[str, tuple[Decimal, str]] = {}
        vegetables = rng.sample(self.by_category["蔬菜"], rng.randint(3, 4))
        weights = [rng.uniform(0.7, 1.3) for _ in vegetables]
        for product, weight in zip(vegetables, weights, strict=True):
            wanted[product.code] = (_half_kg(0.30 * fresh_scale * weight / sum(weights)), product.unit)
        meat = self.by_category["肉类"]
        wanted[rng.choice([p for p in meat if p.storage == "chilled"]).code] = (_half_kg(0.06 * fresh_scale), "kg")
        if rng.random() < 0.4:
            frozen = rng.choice([p for p in meat if p.storage == "frozen"])
            wanted[frozen.code] = (_half_kg(0.04 * fresh_scale), "kg")
        wanted["P-EGG-01"] = (_half_kg(0.05 * fresh_scale), "kg")
        wanted["P-TOFU-01"] = (_half_kg(0.03 * fresh_scale), "kg")
        if day.weekday() in school.fruit_weekdays:
            wanted[rng.choice(self.by_category["水果"]).code] = (_half_kg(0.12 * school.people), "kg")
        if day.weekday() == school.fish_weekday:
            wanted[rng.choice(self.by_category["水产"]).code] = (_half_kg(0.06 * fresh_scale), "kg")
        if school.milk:
            wanted["P-MILK-01"] = (Decimal(school.students), "盒")
        for slot, staple in STAPLES.items():
            code, daily = school.product_code(slot), school.daily_need(staple)
            on_hand = sum((row.quantity for row in stock.get(code, [])), Decimal(0))
            # Buy a week or so at a time, before the store runs short of the next draw.
            draw, stock_days = (5, rng.randint(10, 15)) if staple.weekly else (1, rng.randint(4, 7))
            if daily and on_hand < Decimal(2 * draw * daily):
                wanted[code] = self._in_packages(self.products[code], daily * stock_days)
        grouped: dict[SupplierSpec, list[tuple[ProductSpec, Decimal, str]]] = defaultdict(list)
        for code, (amount, unit) in wanted.items():
            product = self.products[code]
            supplier = self._supplier_for(school, product.category, available)
            if supplier is not None:
                grouped[supplier].append((product, amount, unit))
        return grouped

    @staticmethod
    def _in_packages(product: ProductSpec, amount: float) -> tuple[Decimal, str]:
        """Staples are bought in whole packages: the largest one not bigger than the need."""
        if not product.conversions:
            return Decimal(amount).to_integral_value(ROUND_CEILING), product.unit
        fitting = [(f, u) for u, f in product.conversions.items() if f <= Decimal(amount)]
        factor, unit = max(fitting) if fitting else min((f, u) for u, f in product.conversions.items())
        return (Decimal(amount) / factor).to_integral_value(ROUND_CEILING), unit

    def _price(self, product: ProductSpec, unit: str) -> int:
        per_base = PRICE_FEN.get(product.code) or PRICE_BY_CATEGORY.get(product.category, 500)
        return int(per_base * product.conversions.get(unit, Decimal(1)))

    def _order(self, session: Session, rng: random.Random, school: SchoolPlan, supplier: SupplierSpec,
               wanted: list[tuple[ProductSpec, Decimal, str]], day: date, sequence: int) -> list[Delivery]:
        number = f"ZQCG-{day:%Y%m%d}-{sequence:04d}"
        lines = [OrderLineIn(line_number=n, product_id=product.id, quantity=amount, unit=unit,
                             unit_price_fen=self._price(product, unit))
                 for n, (product, amount, unit) in enumerate(wanted, start=1)]
        ordered_at = _at(day - timedelta(days=1), ORDER_TIME, rng, 180)
        order = canteen_service.order_create(session, actor=self.admin, data=OrderCreate(
            order_number=number, school_id=school.id, supplier_id=supplier.id, delivery_date=day, lines=lines),
            occurred_at=ordered_at)
        if rng.random() < 0.03:
            revised = [line.model_copy(update={"quantity": self._adjusted(rng, line.quantity, line.unit)})
                       for line in lines]
            canteen_service.order_revise(session, actor=self.admin, order_number=number, data=OrderRevise(
                delivery_date=day, note="临时调整就餐人数", lines=revised),
                occurred_at=ordered_at + timedelta(hours=2, minutes=rng.randrange(60)))
        revision, current = canteen_service.order_current_revision(session, order.id)
        self.held += [order, revision, *current]  # shipments look their order line up again
        products = {p.id: p for p, _, _ in wanted}
        return [Delivery(school, supplier, products[line.product_id], line.id, line.quantity, line.ordered_quantity,
                         line.ordered_unit) for line in current]

    @staticmethod
    def _adjusted(rng: random.Random, amount: Decimal, unit: str) -> Decimal:
        if unit == "kg":
            return _half_kg(float(amount) * rng.uniform(0.9, 1.1))
        return max(Decimal(1), amount + rng.choice((-1, 1)) * max(1, int(amount) // 20))

    # --- batches ---------------------------------------------------------------------------

    def _register_batches(self, session: Session, rng: random.Random, deliveries: list[Delivery], day: date) -> None:
        """One lot per supplier, product and day, a little more than the day's orders."""
        lots: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
        for delivery in deliveries:
            lots[delivery.supplier.number, delivery.product.code].append(delivery)
        for serial, group in enumerate(lots.values(), start=1):
            supplier, product = group[0].supplier, group[0].product
            ordered = sum((d.quantity for d in group), Decimal(0))
            amount = (ordered * Decimal(rng.uniform(1.01, 1.05))).to_integral_value(ROUND_CEILING)
            production = day - timedelta(days=self._age(rng, product))
            if not self._may_supply(session, supplier, production):
                production = day
            batch = supplier_service.batch_register(session, actor=supplier.actor, data=BatchCreate(
                product_id=product.id, lot_code=self._lot_code(supplier, product, production),
                production_date=production, quantity=amount, unit=product.unit,
                origin=rng.choice(ORIGINS.get(product.code) or ORIGINS[product.code.rsplit("-", 1)[0]]),
                certificates=self._certificates(rng, supplier, product, production, serial)),
                occurred_at=_at(day, LOT_TIME, rng, 60))
            self.batches[batch.id] = (product.code, batch.expiry_date)
            self.held.append(batch)
            for delivery in group:
                delivery.batch_id = batch.id

    def _age(self, rng: random.Random, product: ProductSpec) -> int:
        """Days between production and delivery: staples weeks, frozen days to weeks, fresh 0–2."""
        if product.code in self.staples:
            return rng.randint(10, min(60, product.shelf_life_days // 4))
        if product.storage == "frozen":
            return rng.randint(3, 30)
        return rng.randint(0, min(2, product.shelf_life_days - 1))

    def _lot_code(self, supplier: SupplierSpec, product: ProductSpec, production: date) -> str:
        """S<supplier><yymmdd><product letter>, suffixed 2, 3… when a lot of that date exists."""
        mine = [p.code for c in supplier.categories for p in self.by_category.get(c, [])]
        base = f"S{supplier.number:02d}{production:%y%m%d}{_letters(mine.index(product.code))}"
        lot, n = base, 1
        while (product.code, lot) in self.lots:
            n += 1
            lot = f"{base}{n}"
        self.lots.add((product.code, lot))
        return lot

    @staticmethod
    def _certificates(rng: random.Random, supplier: SupplierSpec, product: ProductSpec, production: date,
                      serial: int) -> list[CertificateIn]:
        """The papers each product requires (domain.md §5); pork has two more."""
        if product.required_certificate == "承诺达标合格证":
            number = f"CNHG{production:%Y%m%d}{supplier.number:02d}{serial:04d}"
            return [CertificateIn(kind="承诺达标合格证", number=number, issued_by=supplier.name, issued_on=production)]
        if product.required_certificate != "动物检疫合格证明":
            return []
        papers = [CertificateIn(kind="动物检疫合格证明", number=f"37{rng.randrange(10**9, 10**10)}",
                                issued_by="示例官方兽医", issued_on=production)]
        if product.code.startswith("P-PORK"):
            papers += [
                CertificateIn(kind="肉品品质检验合格证", number=f"RPJY{production:%y%m%d}{serial:04d}",
                              issued_by="示例定点屠宰厂", issued_on=production),
                CertificateIn(kind="非洲猪瘟检测报告", number=f"ASF{production:%Y%m%d}{serial:04d}",
                              issued_by="示例动物疫病检测实验室", issued_on=production),
            ]
        return papers

    # --- shipping, receiving, testing ------------------------------------------------------

    def _ship_and_receive(self, session: Session, rng: random.Random, delivery: Delivery, day: date) -> None:
        product = delivery.product
        shipment = canteen_service.shipment_create(session, actor=delivery.supplier.actor, data=ShipmentCreate(
            batch_id=delivery.batch_id, order_line_id=delivery.line_id, quantity=delivery.ordered_quantity,
            unit=delivery.ordered_unit, ship_date=day), occurred_at=_at(day, SHIP_TIME, rng, 45))
        rejected, reason = Decimal(0), ""
        if rng.random() < 0.01:
            package = product.conversions.get(delivery.ordered_unit)
            if package is not None and delivery.ordered_quantity >= 2:
                rejected, reason = package, "包装破损"
            else:
                rejected, reason = max(Decimal("0.1"), quantity(shipment.quantity * Decimal("0.04"))), "感官异常"
        temperature = None
        if product.storage == "chilled":
            temperature = round(rng.uniform(1, 6), 1)
        elif product.storage == "frozen":
            temperature = round(rng.uniform(-20, -15), 1)
        staff = rng.choice(delivery.school.staff)
        received_at = _at(day, RECEIPT_TIME, rng, 60)
        receipt = canteen_service.receipt_create(session, actor=staff, data=ReceiptCreate(
            shipment_id=shipment.id, accepted_quantity=shipment.quantity - rejected, rejected_quantity=rejected,
            unit=product.unit, rejection_reason=reason, arrival_temperature_celsius=temperature, receipt_date=day,
        ), occurred_at=received_at)
        delivery.accepted = receipt.accepted_quantity
        self._rapid_test(session, rng, delivery, staff, received_at)

    def _rapid_test(self, session: Session, rng: random.Random, delivery: Delivery, staff: Actor,
                    received_at: datetime) -> None:
        tested_at = received_at + timedelta(minutes=rng.randint(10, 25))
        if delivery.product.rapid_test == "pesticide_enzyme_inhibition":
            # Inhibition ≥ 50 % is positive; 40–50 % is the configurable warning band (domain.md §4.1).
            warning = rng.random() < 0.02
            value = Decimal(str(round(rng.uniform(40, 49.9) if warning else rng.uniform(5, 35), 1)))
            inspection_service.test_result_record(
                session, actor=staff, batch_id=delivery.batch_id, school_id=delivery.school.id,
                kind="pesticide_enzyme_inhibition", method="GB/T 5009.199-2003", value=value, value_unit="%",
                outcome=TestOutcome.warning if warning else TestOutcome.passed, tested_at=tested_at)
        elif delivery.product.rapid_test == "clenbuterol" and rng.random() < 0.25:
            inspection_service.test_result_record(
                session, actor=staff, batch_id=delivery.batch_id, school_id=delivery.school.id,
                kind="clenbuterol", method="胶体金免疫层析法（瘦肉精快速检测卡）", outcome=TestOutcome.passed,
                tested_at=tested_at)

    # --- the kitchen -----------------------------------------------------------------------

    def _stock(self, session: Session, school: SchoolPlan, day: date) -> dict[str, list[OnHand]]:
        """Unexpired stock on hand by product code, first-expiring batch first."""
        # Every batch in stock was registered by this run: seed_demo refuses a database with activity.
        rows: dict[str, list[OnHand]] = defaultdict(list)
        for row in canteen_service.stock_of_school(session, school.id):
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
        canteen_service.use_create(session, actor=school.staff[0], data=UseCreate(
            batch_id=batch_id, quantity=amount, unit=unit, use_date=day, meal=meal, dish=dish,
        ), occurred_at=_at(day, MEAL_TIMES[meal], rng, 30))

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
