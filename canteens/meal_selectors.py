"""Reads for the canteen's meal and 留样 pages: a day's meals with what each lacks, the lots in a
meal with their names, the samples in the fridge, a lot found by the code scanned off its label.

Writes and rules stay in ``canteens.meals`` and ``canteens.samples``; these only read, a few
queries per page rather than one per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from canteens.meal_models import RetainedSample, RetainedSampleDiscard, SchoolMeal
from canteens.meal_review import MealView, meal_view
from canteens.meals import MEAL_ORDER, MealLot, meals_of_school
from canteens.models import KitchenUse, Meal
from canteens.selectors import StockLot, _by_id, stock_lots, usability_of
from canteens.service import stock_lots_of_school
from suppliers.models import Product, Supplier
from trace.db import utcnow
from trace.digital_link import normalize_lot, parse_digital_link
from trace.errors import Conflict, Invalid
from trace.models import User

# How far back the 留样 page looks for meals that went without a sample.
UNSAMPLED_DAYS = 14


@dataclass
class MealSummary:
    """One meal of a day as its list shows it: the view (menu, 陪餐, samples, warnings) and its lots."""

    view: MealView

    @property
    def meal(self) -> SchoolMeal:
        return self.view.meal

    @property
    def served(self) -> bool:
        return self.view.meal.served_at is not None


def meals_of_day(session: Session, school_id: int, day: date) -> dict[Meal, MealSummary]:
    """The school's meals of one day by breakfast, lunch and dinner (only those opened)."""
    found = meals_of_school(session, school_id, date_from=day, date_to=day)
    return {Meal(meal.meal): MealSummary(meal_view(session, meal)) for meal in found}


@dataclass
class LotInMeal:
    """A lot in a meal with the names a person reads."""

    lot: MealLot
    product: Product
    supplier: Supplier


def lots_in_meal(session: Session, lots: list[MealLot]) -> list[LotInMeal]:
    products = _by_id(session, Product, {lot.batch.product_id for lot in lots})
    suppliers = _by_id(session, Supplier, {lot.batch.supplier_id for lot in lots})
    return [LotInMeal(lot, products[lot.batch.product_id], suppliers[lot.batch.supplier_id]) for lot in lots]


def usable_lots(session: Session, school_id: int, *, today: date) -> list[StockLot]:
    """What may go into a meal now: usable lots on hand, first-expiring first (use them up first)."""
    usable = [lot for lot in stock_lots(session, school_id, today=today) if lot.usable]
    return sorted(usable, key=lambda lot: (lot.batch.expiry_date, lot.product.name, lot.batch.id))


def stock_lot_by_code(session: Session, school_id: int, code: str, *, today: date) -> StockLot:
    """The lot of the school's stock a scanned or typed code names: a lot code, or the label's QR
    (its GS1 Digital Link). A lot used up, expired, held or recalled is still found, so that the use
    is refused with its own reason rather than as unknown."""
    text = code.strip()
    gtin = None
    if "/01/" in text:
        key = parse_digital_link(text)
        gtin, lot_code = key.gtin14, key.lot
    else:
        lot_code = normalize_lot(text)
    found = [(stock, batch) for stock, batch in stock_lots_of_school(session, school_id, only_on_hand=False)
             if batch.lot_code.upper() == lot_code.upper() and (gtin is None or batch.gtin == gtin)]
    if not found:
        raise Conflict("lot_not_in_stock", f"本校库存中没有批号 {lot_code}：请核对标签，或从库存列表中选择",
                       f"No lot {lot_code} is in this school's stock: check the label, or choose from the stock list",
                       lot_code=lot_code)
    if len(found) > 1:
        raise Conflict("lot_code_ambiguous", f"库存中有 {len(found)} 个批次的批号都是 {lot_code}，请从库存列表中选择",
                       f"{len(found)} lots in stock carry the lot code {lot_code}: choose one from the stock list",
                       lot_code=lot_code)
    stock, batch = found[0]
    product = session.get(Product, batch.product_id)
    return StockLot(stock, batch, product, session.get(Supplier, batch.supplier_id),
                    (batch.expiry_date - today).days, usability_of(batch, today))


def lot_from_form(session: Session, school_id: int, *, lot_code: str, batch_id: str, today: date) -> StockLot:
    """The lot a use form names: the scanned or typed code wins over the pick list."""
    if lot_code.strip():
        return stock_lot_by_code(session, school_id, lot_code, today=today)
    wanted = batch_id.strip()
    for lot in stock_lots(session, school_id, today=today):
        if str(lot.batch.id) == wanted:
            return lot
    raise Invalid("batch_required", "请扫描或输入批号，或从库存列表中选择批次",
                  "Scan or type the lot code, or choose a lot from the stock list")


def names_of_people(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in user_ids if i is not None]
    if not wanted:
        return {}
    return {user.id: user.display_name for user in session.execute(select(User).where(User.id.in_(wanted))).scalars()}


@dataclass
class HeldSample:
    """A sample still in the fridge, with its meal."""

    sample: RetainedSample
    meal: SchoolMeal

    def due(self, now: datetime) -> bool:
        return self.sample.discard_not_before <= now


def samples_held(session: Session, school_id: int) -> list[HeldSample]:
    """The school's samples not yet discarded, the ones that may go soonest first."""
    discarded = select(RetainedSampleDiscard.sample_id)
    rows = session.execute(
        select(RetainedSample, SchoolMeal).join(SchoolMeal, SchoolMeal.id == RetainedSample.meal_id)
        .where(RetainedSample.school_id == school_id, RetainedSample.id.not_in(discarded))
        .order_by(RetainedSample.discard_not_before, RetainedSample.id)
    ).all()
    return [HeldSample(sample, meal) for sample, meal in rows]


def meals_without_sample(session: Session, school_id: int, *, today: date,
                         days: int = UNSAMPLED_DAYS) -> list[SchoolMeal]:
    """The school's meals of the last ``days`` days with no retained sample at all, newest first.

    Today's meals not served yet are still being cooked: their samples may yet be taken."""
    sampled = select(RetainedSample.meal_id).where(RetainedSample.school_id == school_id)
    statement = (select(SchoolMeal).where(SchoolMeal.school_id == school_id,
                                          SchoolMeal.meal_date.between(today - timedelta(days=days), today),
                                          or_(SchoolMeal.meal_date < today, SchoolMeal.served_at.is_not(None)),
                                          SchoolMeal.id.not_in(sampled))
                 .order_by(SchoolMeal.meal_date.desc(), MEAL_ORDER.desc()))
    return list(session.execute(statement).scalars())


@dataclass
class MealOfLot:
    """A meal of the school a lot went into (``meal`` None: use recorded without a meal record)."""

    meal_date: date
    meal_kind: Meal
    meal: SchoolMeal | None
    quantity: Decimal = Decimal("0.000")
    dishes: set[str] = field(default_factory=set)


def meals_of_lots(session: Session, school_id: int, batch_ids: list[int]) -> dict[int, list[MealOfLot]]:
    """For each lot, the school's meals it went into, newest first (one query for the stock page)."""
    if not batch_ids:
        return {}
    joined = and_(SchoolMeal.school_id == KitchenUse.school_id, SchoolMeal.meal_date == KitchenUse.use_date,
                  SchoolMeal.meal == KitchenUse.meal)
    rows = session.execute(
        select(KitchenUse, SchoolMeal).outerjoin(SchoolMeal, joined)
        .where(KitchenUse.school_id == school_id, KitchenUse.batch_id.in_(batch_ids))
        .order_by(KitchenUse.use_date.desc(), KitchenUse.id.desc())
    ).all()
    meals: dict[int, dict[tuple[date, Meal], MealOfLot]] = defaultdict(dict)
    for use, meal in rows:
        key = (use.use_date, Meal(use.meal))
        entry = meals[use.batch_id].setdefault(key, MealOfLot(use.use_date, Meal(use.meal), meal))
        entry.quantity += use.quantity
        if use.dish:
            entry.dishes.add(use.dish)
    return {batch_id: list(found.values()) for batch_id, found in meals.items()}


def hours_left(until: datetime, now: datetime | None = None) -> tuple[int, int]:
    """Whole hours and minutes until ``until`` (rounded up to the minute); (0, 0) once it has passed."""
    seconds = (until - (now or utcnow())).total_seconds()
    if seconds <= 0:
        return 0, 0
    minutes = int(-(-seconds // 60))
    return divmod(minutes, 60)

