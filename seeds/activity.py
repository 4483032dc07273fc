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

from sqlmodel import Session

from canteens import service as canteen_service
from canteens.models import Meal
from canteens.schemas import OrderCreate, OrderLineIn, OrderRevise, ReceiptCreate, ShipmentCreate, UseCreate
from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TestOutcome
from seeds.catalogue import SeedProduct, SeedSupplier
from seeds.kitchen import (
    BOARDING_FRESH_FACTOR,
    BOARDING_KINDS,
    DISHES,
    FISH_DAYS_PER_WEEK,
    FROZEN_MEAT_SHARE,
    FRUIT_DAYS_PER_WEEK,
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
    VEGETABLE_TRIM,
    Staple,
    per_meal_kg,
)
from seeds.reference import SeededSchool, SeedReference
from suppliers import certificates
from suppliers import service as supplier_service
from suppliers.schemas import BatchCreate, CertificateIn
from trace.clock import local_zone
from trace.custody import Actor
from trace.db import quantity
from trace.errors import DomainError
from trace.settings import get_settings

# How often things go wrong at the door (demo values): a truck too warm for its cold-chain
# load, a first rapid test positive, a negative in the warning band.
TOO_WARM_SHARE = 0.012
POSITIVE_SHARE = 0.015
WARNING_SHARE = 0.03
LAB_TIME = time(9, 0)

# Who issues each paper, and how its number looks (demo values, marked 示例).
GROWERS = {
    "蔬菜": ("示例章丘绣惠蔬菜种植专业合作社", "示例寿光洛城蔬菜产销专业合作社"),
    "水果": ("示例栖霞果品专业合作社", "示例泊头鸭梨种植专业合作社"),
    "禽蛋": ("示例章丘埠村蛋鸡养殖场", "示例章丘圣井家禽养殖专业合作社"),
    "水产": ("示例东平湖渔业养殖专业合作社", "示例东平县水产养殖场"),
}
PAPER_ISSUERS = {
    certificates.COMPLIANCE_CERTIFICATE: None,
    certificates.QUARANTINE_STAMP: "示例章丘区动物卫生监督所",
    certificates.MEAT_QUALITY_STAMP: "示例章丘定点屠宰厂",
    certificates.QUARANTINE_CERTIFICATE: "示例章丘区动物卫生监督所（官方兽医）",
    certificates.MEAT_QUALITY_CERTIFICATE: "示例章丘定点屠宰厂",
    certificates.ASF_REPORT: "示例章丘定点屠宰厂非洲猪瘟检测实验室",
    certificates.BATCH_INSPECTION_REPORT: None,
}
PAPER_NUMBERS = {
    certificates.COMPLIANCE_CERTIFICATE: lambda d, s, n, rng: f"CNHG{d:%Y%m%d}{s:02d}{n:04d}",
    certificates.QUARANTINE_STAMP: lambda d, s, n, rng: "动检验讫 A37011401",
    certificates.MEAT_QUALITY_STAMP: lambda d, s, n, rng: "肉检验讫 TZ370114001",
    certificates.QUARANTINE_CERTIFICATE: lambda d, s, n, rng: f"37{rng.randrange(10**9, 10**10)}",
    certificates.MEAT_QUALITY_CERTIFICATE: lambda d, s, n, rng: f"RPJY{d:%y%m%d}{n:04d}",
    certificates.ASF_REPORT: lambda d, s, n, rng: f"ASF{d:%Y%m%d}{n:04d}",
    certificates.BATCH_INSPECTION_REPORT: lambda d, s, n, rng: f"JC{d:%Y%m%d}{s:02d}{n:04d}",
}



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


def _produces(supplier: SupplierSpec) -> bool:
    """Whether a supplier grows or raises what it sells (a cooperative, an egg farm) or trades it."""
    return "合作社" in supplier.name or "禽蛋" in supplier.categories


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
        self.papers = {code: supplier_service.product_required_papers(product)
                       for code, (_spec, product) in reference.products.items()}
        self.arrival = {code: supplier_service.arrival_limits(product)
                        for code, (_spec, product) in reference.products.items()}
        self.inspector = Actor.of(reference.inspector)
        self.on_hold: dict[int, int] = {}  # batch id → school whose test put it on hold
        self.held: list[object] = []
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
        # The session's identity map holds rows only while something references them, so
        # the services' session.get() of a product, supplier, school, order or batch would
        # go back to the database on every call; holding them for the day avoids that.
        self.held = [*supplier_service.product_list(session), *supplier_service.supplier_list(session),
                     *canteen_service.school_list(session)]
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
                self._use_staples(session, rng, school, day, Meal.breakfast, self._stock(session, school, day))
            for delivery in deliveries:
                if delivery.school is school:
                    self._ship_and_receive(session, rng, delivery, day)
        for school in self.schools:
            mine = [d for d in deliveries if d.school is school and d.batch_id not in self.on_hold]
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
        # Per person per meal as WS/T 554-2017 gives it (seeds.kitchen), times the meals served.
        fresh_scale = school.people * (BOARDING_FRESH_FACTOR if school.boarding else 1)
        wanted: dict[str, tuple[Decimal, str]] = {}
        vegetables = rng.sample(self.by_category["蔬菜"], rng.randint(3, 4))
        weights = [rng.uniform(0.7, 1.3) for _ in vegetables]
        vegetable_kg = school.per_meal("蔬菜类") * VEGETABLE_TRIM * fresh_scale
        for product, weight in zip(vegetables, weights, strict=True):
            wanted[product.code] = (_half_kg(vegetable_kg * weight / sum(weights)), product.unit)
        meat = self.by_category["肉类"]
        storage = "frozen" if rng.random() < FROZEN_MEAT_SHARE else "chilled"
        wanted[rng.choice([p for p in meat if p.storage == storage]).code] = (
            _half_kg(school.per_meal("畜禽肉类") * fresh_scale), "kg")
        wanted["P-EGG-01"] = (_half_kg(school.per_meal("蛋类") * fresh_scale), "kg")
        wanted["P-TOFU-01"] = (_half_kg(school.per_meal("大豆类及其制品") * fresh_scale), "kg")
        if day.weekday() in school.fruit_weekdays:
            # Fruit is eaten after lunch; boarders get theirs then too.
            wanted[rng.choice(self.by_category["水果"]).code] = (
                _half_kg(school.per_meal("水果类") * school.people), "kg")
        if day.weekday() in school.fish_weekdays:
            wanted[rng.choice(self.by_category["水产"]).code] = (
                _half_kg(school.per_meal("鱼虾类") * fresh_scale), "kg")
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

    def _certificates(self, rng: random.Random, supplier: SupplierSpec, product: ProductSpec, production: date,
                      serial: int) -> list[CertificateIn]:
        """Every paper the catalogue's table asks of the product (domain.md §5), with believable issuers."""
        papers = []
        for requirement in self.papers[product.code]:
            kind = certificates.alternatives(requirement)[0]  # the 承诺达标合格证 where it may be either
            number, issued_by = PAPER_NUMBERS[kind](production, supplier.number, serial, rng), PAPER_ISSUERS[kind]
            if kind == certificates.COMPLIANCE_CERTIFICATE:
                # §5.1: the producer issues it; a trader passes on the grower's, it does not write its own.
                issued_by = supplier.name if _produces(supplier) else GROWERS[product.category][serial % 2]
            elif kind == certificates.BATCH_INSPECTION_REPORT:
                issued_by = f"{supplier.name}质检部" if serial % 3 else "示例济南市食品检验检测中心"
            papers.append(CertificateIn(kind=kind, number=number, issued_by=issued_by, issued_on=production))
        return papers

    # --- shipping, testing, receiving ------------------------------------------------------

    def _ship_and_receive(self, session: Session, rng: random.Random, delivery: Delivery, day: date) -> None:
        """Ship, then at the door: temperature, rapid test (re-tests of a positive), accept or reject."""
        product = delivery.product
        if delivery.batch_id in self.on_hold:
            return  # the supplier may not ship a held lot; the school goes without it today
        shipment = canteen_service.shipment_create(session, actor=delivery.supplier.actor, data=ShipmentCreate(
            batch_id=delivery.batch_id, order_line_id=delivery.line_id, quantity=delivery.ordered_quantity,
            unit=delivery.ordered_unit, ship_date=day), occurred_at=_at(day, SHIP_TIME, rng, 45))
        staff = rng.choice(delivery.school.staff)
        arrived_at = _at(day, RECEIPT_TIME, rng, 60)
        temperature, too_warm = self._arrival_temperature(rng, product)
        rejected, reason = Decimal(0), ""
        if too_warm:
            rejected, reason = shipment.quantity, f"到货温度 {temperature} ℃ 超出验收范围，整批拒收退回"
        else:
            positive = self._rapid_test(session, rng, delivery, staff, arrived_at)
            if positive:
                rejected, reason = shipment.quantity, "农残快检阳性（复检仍为阳性），整批拒收，已报区市场监管局"
                self._hold(session, delivery, arrived_at + timedelta(minutes=40))
            elif rng.random() < 0.01:
                package = product.conversions.get(delivery.ordered_unit)
                if package is not None and delivery.ordered_quantity >= 2:
                    rejected, reason = package, "包装破损"
                else:
                    rejected, reason = max(Decimal("0.1"), quantity(shipment.quantity * Decimal("0.04"))), "感官异常"
        received_at = arrived_at + timedelta(minutes=35)
        receipt = canteen_service.receipt_create(session, actor=staff, data=ReceiptCreate(
            shipment_id=shipment.id, accepted_quantity=shipment.quantity - rejected, rejected_quantity=rejected,
            unit=product.unit, rejection_reason=reason, arrival_temperature_celsius=temperature, receipt_date=day,
        ), occurred_at=received_at)
        delivery.accepted = receipt.accepted_quantity

    def _arrival_temperature(self, rng: random.Random, product: ProductSpec) -> tuple[float | None, bool]:
        """A probe reading for cold-chain goods; now and then a truck arrives too warm."""
        limits = self.arrival[product.code]
        if limits is None:
            return None, False
        if rng.random() < TOO_WARM_SHARE:
            return round(limits.max_celsius + rng.uniform(0.6, 3.5), 1), True
        if product.storage == "frozen":
            return round(rng.uniform(-20, limits.max_celsius - 0.5), 1), False
        low = 0.5 if limits.min_celsius is None else limits.min_celsius + 0.5
        return round(rng.uniform(low, limits.max_celsius - 1.5), 1), False

    def _rapid_test(self, session: Session, rng: random.Random, delivery: Delivery, staff: Actor,
                    arrived_at: datetime) -> bool:
        """Rapid tests before acceptance; True when a positive held up through its re-tests (§4.1)."""
        kind = delivery.product.rapid_test
        tested_at = arrived_at + timedelta(minutes=rng.randint(5, 15))
        if kind == rapid_tests.ENZYME_INHIBITION:
            draw = rng.random()
            if draw < POSITIVE_SHARE:
                value = rng.uniform(52, 78)
            elif draw < POSITIVE_SHARE + WARNING_SHARE:
                value = rng.uniform(40, 49.9)
            else:
                value = rng.uniform(5, 35)
        elif kind == rapid_tests.CLENBUTEROL and rng.random() < 0.25:
            value = rng.uniform(1.1, 2.4)  # T line as strong as C or stronger: negative
        else:
            return False
        first = self._test(session, delivery, staff, kind, value, tested_at)
        if first.verdict != rapid_tests.Verdict.positive:
            return False
        # §4.1: the positive is re-tested twice by the same method. Vegetables that interfere
        # with the enzyme are re-done with whole-leaf extraction and mostly come out negative.
        holds_up = rng.random() < (0.2 if first.false_positive_prone else 0.6)
        for n in range(get_settings().rapid_test_retests):
            value = rng.uniform(51, 75) if holds_up else rng.uniform(8, 30)
            retest = self._test(session, delivery, staff, kind, value, tested_at + timedelta(minutes=12 * (n + 1)),
                                retest_of_id=first.id)
            if retest.verdict == rapid_tests.Verdict.negative:
                break
        return inspection_service.rapid_test_standing(session, first.id) == rapid_tests.Standing.counts

    @staticmethod
    def _test(session: Session, delivery: Delivery, staff: Actor, kind: str, value: float, tested_at: datetime,
              retest_of_id: int | None = None):
        return inspection_service.test_result_record(
            session, actor=staff, batch_id=delivery.batch_id, school_id=delivery.school.id, kind=kind,
            value=Decimal(str(round(value, 2 if kind == rapid_tests.CLENBUTEROL else 1))), tested_at=tested_at,
            retest_of_id=retest_of_id)

    def _hold(self, session: Session, delivery: Delivery, at: datetime) -> None:
        """§4.2: the district's inspectors stop the lot; a laboratory confirms on the next school day."""
        inspection_service.batch_change_status(
            session, actor=self.inspector, batch_id=delivery.batch_id, action="hold", occurred_at=at,
            reason=f"{delivery.product.name}验收时农残快检阳性，同法复检两次仍为阳性；暂停使用，抽样送检验机构确证")
        self.on_hold[delivery.batch_id] = delivery.school.id

    def _confirm_holds(self, session: Session, rng: random.Random, day: date) -> None:
        """Yesterday's holds: the laboratory's result, then a recall or a release (§4.2)."""
        for batch_id, school_id in sorted(self.on_hold.items()):
            reported_at = _at(day, LAB_TIME, rng, 120)
            confirmed = rng.random() < 0.6
            inspection_service.test_result_record(
                session, actor=self.inspector, batch_id=batch_id, school_id=school_id, kind="lab_report",
                method="GB 23200.113-2018（气相色谱-质谱联用法）", laboratory="示例济南市食品检验检测中心",
                report_number=f"JC{day:%Y%m%d}{batch_id:06d}",
                outcome=TestOutcome.failed if confirmed else TestOutcome.passed, tested_at=reported_at)
            inspection_service.batch_change_status(
                session, actor=self.inspector, batch_id=batch_id, action="recall" if confirmed else "release",
                occurred_at=reported_at + timedelta(minutes=30),
                reason="实验室检验确认农药残留超标，召回并监督销毁" if confirmed
                else "实验室检验合格，快检阳性未获确证，解除封存")
        self.on_hold.clear()

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
