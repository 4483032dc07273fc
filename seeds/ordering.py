"""The demo's ordering side: what each school orders, and the lots suppliers register for it."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlmodel import Session

from canteens import orders as canteen_orders
from canteens.schemas import OrderCreate, OrderLineIn, OrderRevise
from seeds.kitchen import (
    BOARDING_FRESH_FACTOR,
    FROZEN_MEAT_SHARE,
    LOT_TIME,
    ORDER_TIME,
    ORIGINS,
    PRICE_BY_CATEGORY,
    PRICE_FEN,
    STAPLES,
    VEGETABLE_TRIM,
)
from seeds.plans import Delivery, OnHand, ProductSpec, SchoolPlan, SupplierSpec, at_about
from suppliers import certificates
from suppliers import service as supplier_service
from suppliers.schemas import BatchCreate, CertificateIn
from trace.custody import Actor

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


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a product's letter in its supplier's lot codes."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def _half_kg(amount: float) -> Decimal:
    return max(Decimal("0.5"), Decimal(round(amount * 2)) / 2)


def _produces(supplier: SupplierSpec) -> bool:
    """Whether a supplier grows or raises what it sells (a cooperative, an egg farm) or trades it."""
    return "合作社" in supplier.name or "禽蛋" in supplier.categories


class Ordering:
    """The generator's orders and lots (mixed into :class:`seeds.activity.ActivityGenerator`)."""

    admin: Actor
    products: dict[str, ProductSpec]
    by_category: dict[str, list[ProductSpec]]
    staples: set[str]
    papers: dict[str, list[str]]
    batches: dict[int, tuple[str, date]]
    lots: set[tuple[str, str]]

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
               wanted: list[tuple[ProductSpec, Decimal, str]], day: date, sequence: int,
               not_after: datetime | None = None) -> list[Delivery]:
        number = f"ZQCG-{day:%Y%m%d}-{sequence:04d}"
        lines = [OrderLineIn(line_number=n, product_id=product.id, quantity=amount, unit=unit,
                             unit_price_fen=self._price(product, unit))
                 for n, (product, amount, unit) in enumerate(wanted, start=1)]
        ordered_at = at_about(day - timedelta(days=1), ORDER_TIME, rng, 180, not_after)
        order = canteen_orders.order_create(session, actor=self.admin, data=OrderCreate(
            order_number=number, school_id=school.id, supplier_id=supplier.id, delivery_date=day, lines=lines),
            occurred_at=ordered_at)
        if rng.random() < 0.03:
            revised = [line.model_copy(update={"quantity": self._adjusted(rng, line.quantity, line.unit)})
                       for line in lines]
            revised_at = ordered_at + timedelta(hours=2, minutes=rng.randrange(60))
            canteen_orders.order_revise(session, actor=self.admin, order_number=number, data=OrderRevise(
                delivery_date=day, note="临时调整就餐人数", lines=revised),
                occurred_at=min(revised_at, not_after) if not_after else revised_at)
        _revision, current = canteen_orders.order_current_revision(session, order.id)
        products = {p.id: p for p, _, _ in wanted}
        return [Delivery(school, supplier, products[line.product_id], line.id, line.quantity, line.ordered_quantity,
                         line.ordered_unit) for line in current]

    @staticmethod
    def _adjusted(rng: random.Random, amount: Decimal, unit: str) -> Decimal:
        if unit == "kg":
            return _half_kg(float(amount) * rng.uniform(0.9, 1.1))
        return max(Decimal(1), amount + rng.choice((-1, 1)) * max(1, int(amount) // 20))

    # --- batches ---------------------------------------------------------------------------

    def _register_batches(self, session: Session, rng: random.Random, deliveries: list[Delivery], day: date,
                          not_after: datetime | None = None) -> None:
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
                occurred_at=at_about(day, LOT_TIME, rng, 60, not_after))
            self.batches[batch.id] = (product.code, batch.expiry_date)
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
