"""Meals: a school's breakfast, lunch or dinner of one day, its menu, its 陪餐, the lots in it.

A meal's custody chain is ``meal:<id>``:

=================  ========  =========================================================
biz_step           action    what happened
=================  ========  =========================================================
meal_planning      ADD       the meal opened (school, day, meal, the dishes named then)
menu_adding        OBSERVE   a dish added to its menu
accompanying       OBSERVE   陪餐: a school leader ate the meal with the students
sampling           ADD       留样: a dish's retained sample taken (canteens.samples)
destroying         DELETE    a retained sample discarded after its keeping time
commissioning      ADD       served: the EPCIS TransformationEvent, lots in, meal out
=================  ========  =========================================================

(CBV 2.0 has no "transforming" step; a transformation that makes a new thing commissions it.)

The lots in a meal are the kitchen uses (出库) of its school, day and meal, each on its
batch's chain as ``dispensing`` (canteens.kitchen). Serving writes one transformation
event naming each lot (GTIN + lot, its Digital Link, the quantity and the uses) as input
and the meal as output, so both chains meet: from a meal every lot, from a lot every meal.

Lock order (trace.locking): the meal row before the batch. A use into a meal shares the
meal's lock and serving takes it whole, so no use slips in beside the serving's event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, insert, select, update
from sqlmodel import Session

from canteens import kitchen
from canteens.current import USE_COUNTS
from canteens.dates import assert_date_range, dated_between, occurred_on
from canteens.meal_models import MealCompanion, MealDish, SchoolMeal
from canteens.models import MEAL_LABELS, KitchenUse, Meal
from canteens.schemas import UseCreate
from canteens.schools import assert_acts_for_school, school_get
from suppliers.models import Batch
from trace.clock import assert_not_future
from trace.custody import Actor, record_event, stream_of
from trace.db import dialect_insert, run_prebuilt, utcnow
from trace.digital_link import build_digital_link
from trace.errors import Conflict, Forbidden, Invalid, NotFound
from trace.i18n import label
from trace.locking import lock_for_change, lock_for_gate
from trace.settings import get_settings

KITCHEN_ROLES = ("canteen_staff", "admin")
MEAL_ORDER = case({Meal.breakfast: 0, Meal.lunch: 1, Meal.dinner: 2}, value=SchoolMeal.meal)


def meal_not_found(meal_id: int) -> NotFound:
    return NotFound("meal_not_found", f"餐次 {meal_id} 不存在", f"Meal {meal_id} not found", meal_id=meal_id)


def meal_get(session: Session, meal_id: int) -> SchoolMeal:
    meal = session.get(SchoolMeal, meal_id)
    if meal is None:
        raise meal_not_found(meal_id)
    return meal


def meal_name_zh(meal: SchoolMeal) -> str:
    return f"{meal.meal_date:%Y年%-m月%-d日}{label(MEAL_LABELS[meal.meal], 'zh-CN')}"


def assert_kitchen_actor(actor: Actor, school_id: int) -> None:
    """Meals are recorded by the school's own canteen staff (or an admin for it)."""
    assert_acts_for_school(actor, school_id)
    if actor.role not in KITCHEN_ROLES:
        raise Forbidden("role_not_allowed", "只有食堂人员可以记录餐次、留样", "Only canteen staff may record meals and samples")


def meal_lock(session: Session, meal_id: int, *, for_change: bool = False) -> SchoolMeal:
    """The meal, its serving read under a lock: shared by what adds to it, whole for serving."""
    lock = lock_for_change if for_change else lock_for_gate
    meal = lock(session, SchoolMeal, meal_id, fresh=("served_at", "served_by", "served_event_id"))
    if meal is None:
        raise meal_not_found(meal_id)
    return meal


def _assert_not_served(meal: SchoolMeal, doing_zh: str, doing_en: str) -> None:
    if meal.served_at is not None:
        raise Conflict("meal_already_served", f"{meal_name_zh(meal)}已结束供餐，不能再{doing_zh}",
                       f"This meal has been served; it can no longer {doing_en}", meal_id=meal.id)


_FIND_MEAL = select(SchoolMeal).where(SchoolMeal.school_id == bindparam("school_id"),
                                      SchoolMeal.meal_date == bindparam("meal_date"),
                                      SchoolMeal.meal == bindparam("meal"))
_INSERT_MEAL: dict[str, Any] = {}


def _insert_meal(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERT_MEAL:
        table = SchoolMeal.__table__
        _INSERT_MEAL[dialect] = dialect_insert(session)(table).on_conflict_do_nothing(
            index_elements=[table.c.school_id, table.c.meal_date, table.c.meal]).returning(table.c.id)
    return _INSERT_MEAL[dialect]


def meal_find(session: Session, *, school_id: int, meal_date: date, meal: Meal) -> SchoolMeal | None:
    return session.execute(_FIND_MEAL, {"school_id": school_id, "meal_date": meal_date,
                                        "meal": meal}).scalar_one_or_none()


def _dish_names(dishes: tuple[str, ...] | list[str]) -> list[str]:
    names: list[str] = []
    for dish in dishes:
        name = dish.strip()
        if name and name not in names:
            names.append(name)
    return names


def meal_get_or_create(session: Session, *, actor: Actor, meal_date: date, meal: Meal, school_id: int | None = None,
                       dishes: tuple[str, ...] | list[str] = (), occurred_at: datetime | None = None) -> SchoolMeal:
    """The school's meal of that day, opened now if nobody has yet; dishes named join its menu.

    Two staff opening the same meal at once get the same one: the insert does nothing on
    the (school, day, meal) key, and whoever lost reads the winner's row.
    """
    named = school_id
    school_id = actor.school_id if actor.role == "canteen_staff" else school_id
    if school_id is None:
        raise Invalid("school_required", "请指定学校", "school_id is required")
    assert_kitchen_actor(actor, named or school_id)
    school_get(session, school_id)
    assert_not_future(meal_date, "就餐日期", "meal date")
    names = _dish_names(dishes)
    found = meal_find(session, school_id=school_id, meal_date=meal_date, meal=meal)
    if found is None:
        inserted = run_prebuilt(session, _insert_meal(session), {
            "school_id": school_id, "meal_date": meal_date, "meal": meal.name, "opened_by": actor.user_id,
            "opened_at": utcnow(), "served_at": None, "served_by": None, "served_event_id": None})
        # A row comes back only to the one whose insert went in (rowcount did not say so on PostgreSQL).
        opened_here = inserted.first() is not None
        found = meal_find(session, school_id=school_id, meal_date=meal_date, meal=meal)
        assert found is not None
        if opened_here:
            event = record_event(
                session, stream=stream_of("meal", found.id), biz_step="meal_planning", action="ADD", actor=actor,
                subject_type="meal", subject_id=found.id, school_id=school_id,
                occurred_at=occurred_at or occurred_on(meal_date),
                payload={"school_id": school_id, "meal_date": meal_date, "meal": meal.value,
                         "meal_zh": label(MEAL_LABELS[meal], "zh-CN"), "dishes": names})
            if names:
                # The menu named at opening is one event; its dishes, one statement.
                now = utcnow()
                run_prebuilt(session, _INSERT_DISH, [{"meal_id": found.id, "name": name, "added_by": actor.user_id,
                                                      "added_at": now, "event_id": event.event_id} for name in names])
            return found
    for name in names:
        meal_add_dish(session, actor=actor, meal_id=found.id, name=name, occurred_at=occurred_at)
    return found


_INSERT_DISH = insert(MealDish.__table__)


def dishes_of_meal(session: Session, meal_id: int) -> list[MealDish]:
    return list(session.execute(select(MealDish).where(MealDish.meal_id == meal_id).order_by(MealDish.id)).scalars())


def _add_dish_row(session: Session, meal: SchoolMeal, name: str, *, actor: Actor, event_id: str) -> MealDish:
    dish = MealDish.model_validate({"meal_id": meal.id, "name": name, "added_by": actor.user_id,
                                    "event_id": event_id})
    session.add(dish)
    session.flush()
    return dish


def meal_add_dish(session: Session, *, actor: Actor, meal_id: int, name: str,
                  occurred_at: datetime | None = None) -> MealDish:
    """Put a dish on the meal's menu; a dish already on it is simply returned."""
    meal = meal_lock(session, meal_id)
    assert_kitchen_actor(actor, meal.school_id)
    name = name.strip()
    if not name:
        raise Invalid("dish_name_required", "请填写菜品名称", "A dish needs a name")
    for dish in dishes_of_meal(session, meal.id):
        if dish.name == name:
            return dish
    _assert_not_served(meal, "增加菜品", "take new dishes")
    event = record_event(
        session, stream=stream_of("meal", meal.id), biz_step="menu_adding", action="OBSERVE", actor=actor,
        subject_type="meal", subject_id=meal.id, school_id=meal.school_id, occurred_at=occurred_at,
        payload={"dish": name})
    return _add_dish_row(session, meal, name, actor=actor, event_id=event.event_id)


# Asked before every use into a dish and every sample: prebuilt, one indexed row (uq_meal_dish_meal_name).
_DISH_ON_MENU = select(MealDish.__table__.c.id).where(MealDish.__table__.c.meal_id == bindparam("meal_id"),
                                                      MealDish.__table__.c.name == bindparam("name"))


_MENU = select(MealDish.__table__.c.name).where(MealDish.__table__.c.meal_id == bindparam("meal_id"))


def menu_of(session: Session, meal_id: int) -> set[str]:
    """The names of the dishes on a meal's menu (one prebuilt query, for checking several at once)."""
    return set(run_prebuilt(session, _MENU, {"meal_id": meal_id}).scalars())


def dish_not_on_menu(meal: SchoolMeal, dish: str) -> Conflict:
    return Conflict("dish_not_on_menu", f"“{dish}”不在{meal_name_zh(meal)}的菜单上，请先添加菜品",
                    f"“{dish}” is not on this meal's menu; add the dish first", meal_id=meal.id, dish=dish)


def assert_dish_on_menu(session: Session, meal: SchoolMeal, dish: str) -> None:
    if run_prebuilt(session, _DISH_ON_MENU, {"meal_id": meal.id, "name": dish}).first() is None:
        raise dish_not_on_menu(meal, dish)


def companions_of_meal(session: Session, meal_id: int) -> list[MealCompanion]:
    statement = select(MealCompanion).where(MealCompanion.meal_id == meal_id).order_by(MealCompanion.id)
    return list(session.execute(statement).scalars())


_INSERT_COMPANION = insert(MealCompanion.__table__).returning(*MealCompanion.__table__.c)


def meal_record_companion(session: Session, *, actor: Actor, meal_id: int, name: str, title: str = "",
                          occurred_at: datetime | None = None) -> Row[Any]:
    """陪餐: the school leader who ate this meal with the students (domain.md §3.2: every meal)."""
    meal = meal_lock(session, meal_id)
    assert_kitchen_actor(actor, meal.school_id)
    name, title = name.strip(), title.strip()
    if not name:
        raise Invalid("companion_name_required", "请填写陪餐人姓名", "Name the person who ate with the students")
    event = record_event(
        session, stream=stream_of("meal", meal.id), biz_step="accompanying", action="OBSERVE", actor=actor,
        subject_type="meal", subject_id=meal.id, school_id=meal.school_id, occurred_at=occurred_at,
        payload={"name": name, "title": title})
    return run_prebuilt(session, _INSERT_COMPANION, {"meal_id": meal.id, "name": name, "title": title,
                                                     "recorded_by": actor.user_id, "recorded_at": utcnow(),
                                                     "event_id": event.event_id}).one()


def meal_use(session: Session, *, actor: Actor, meal_id: int, batch_id: int, quantity: Decimal, unit: str,
             dish: str = "", occurred_at: datetime | None = None) -> KitchenUse:
    """出库 into this meal: the kitchen's rules (stock on hand; not expired, held or recalled) apply as they are."""
    meal = meal_lock(session, meal_id)
    assert_kitchen_actor(actor, meal.school_id)
    _assert_not_served(meal, "出库", "take lots in")
    dish = dish.strip()
    if dish:
        assert_dish_on_menu(session, meal, dish)
    return kitchen.use_create(session, actor=actor, data=UseCreate(
        school_id=meal.school_id, batch_id=batch_id, quantity=quantity, unit=unit, use_date=meal.meal_date,
        meal=meal.meal, dish=dish), occurred_at=occurred_at)


@dataclass
class MealLot:
    """One lot in a meal: the batch, how much of it went in, and the uses that took it."""

    batch: Batch
    quantity: Decimal
    unit: str
    uses: list[KitchenUse] = field(default_factory=list)

    @property
    def dishes(self) -> list[str]:
        return sorted({use.dish for use in self.uses if use.dish})


def _uses_of_meal(meal: SchoolMeal) -> Any:
    # Only uses that count: not replaced by a correction, and not corrected to nothing.
    return and_(KitchenUse.school_id == meal.school_id, KitchenUse.use_date == meal.meal_date,
                KitchenUse.meal == meal.meal, USE_COUNTS, KitchenUse.quantity > 0)


def lots_of_meal(session: Session, meal: SchoolMeal) -> list[MealLot]:
    """Every lot that went into the meal, in the order first used, with its uses."""
    statement = (select(KitchenUse, Batch).join(Batch, Batch.id == KitchenUse.batch_id)
                 .where(_uses_of_meal(meal)).order_by(KitchenUse.id))
    lots: dict[int, MealLot] = {}
    for use, batch in session.execute(statement):
        lot = lots.setdefault(batch.id, MealLot(batch, Decimal("0.000"), use.unit))
        lot.quantity += use.quantity
        lot.uses.append(use)
    return list(lots.values())


@dataclass
class MealOfBatch:
    """A meal a batch went into, found by its school, day and meal; ``meal`` is None when no
    meal record was opened for it (use recorded through ``POST /uses`` alone)."""

    school_id: int
    meal_date: date
    meal_kind: Meal
    meal: SchoolMeal | None
    quantity: Decimal
    unit: str
    dishes: list[str]


def meals_of_batch(session: Session, batch_id: int, *, school_id: int | None = None) -> list[MealOfBatch]:
    """Every meal a batch went into (only one school's with ``school_id``), oldest first."""
    joined = and_(SchoolMeal.school_id == KitchenUse.school_id, SchoolMeal.meal_date == KitchenUse.use_date,
                  SchoolMeal.meal == KitchenUse.meal)
    statement = (select(KitchenUse, SchoolMeal).outerjoin(SchoolMeal, joined)
                 .where(KitchenUse.batch_id == batch_id, USE_COUNTS, KitchenUse.quantity > 0)
                 .order_by(KitchenUse.use_date, KitchenUse.id))
    if school_id is not None:
        statement = statement.where(KitchenUse.school_id == school_id)
    meals: dict[tuple[int, date, Meal], MealOfBatch] = {}
    dishes: dict[tuple[int, date, Meal], set[str]] = defaultdict(set)
    for use, meal in session.execute(statement):
        key = (use.school_id, use.use_date, Meal(use.meal))
        found = meals.setdefault(key, MealOfBatch(use.school_id, use.use_date, Meal(use.meal), meal,
                                                  Decimal("0.000"), use.unit, []))
        found.quantity += use.quantity
        if use.dish:
            dishes[key].add(use.dish)
    for key, found in meals.items():
        found.dishes = sorted(dishes[key])
    return sorted(meals.values(), key=lambda m: (m.meal_date, list(Meal).index(m.meal_kind), m.school_id))


def meals_of_school(session: Session, school_id: int, *, date_from: date | None = None, date_to: date | None = None,
                    limit: int = 100, offset: int = 0) -> list[SchoolMeal]:
    """A school's meals by day (local, both ends included) and breakfast, lunch, dinner."""
    assert_date_range(date_from, date_to)
    statement = dated_between(select(SchoolMeal).where(SchoolMeal.school_id == school_id), SchoolMeal.meal_date,
                              date_from, date_to)
    statement = statement.order_by(SchoolMeal.meal_date, MEAL_ORDER).limit(limit).offset(offset)
    return list(session.execute(statement).scalars())


_SERVE = (update(SchoolMeal.__table__)
          .where(SchoolMeal.__table__.c.id == bindparam("meal_id"), SchoolMeal.__table__.c.served_at.is_(None))
          .values(served_at=bindparam("served_at"), served_by=bindparam("served_by"),
                  served_event_id=bindparam("served_event_id")))


def transformation_payload(meal: SchoolMeal, lots: list[MealLot], dishes: list[str]) -> dict[str, Any]:
    """The EPCIS TransformationEvent's content: each lot in (by its Digital Link), the meal out."""
    base = get_settings().resolver_base_url
    return {
        "epcis_event_type": "TransformationEvent",
        "input_quantity_list": [{
            "epc_class": build_digital_link(base, lot.batch.gtin, lot.batch.lot_code),
            "batch_id": lot.batch.id, "gtin": lot.batch.gtin, "lot_code": lot.batch.lot_code,
            "quantity": lot.quantity, "unit": lot.unit,
            "use_ids": [use.id for use in lot.uses], "use_event_ids": [use.event_id for use in lot.uses],
        } for lot in lots],
        "output": {"meal_id": meal.id, "school_id": meal.school_id, "meal_date": meal.meal_date,
                   "meal": meal.meal.value, "meal_zh": label(MEAL_LABELS[meal.meal], "zh-CN"), "dishes": dishes},
    }


def meal_serve(session: Session, *, actor: Actor, meal_id: int, occurred_at: datetime | None = None) -> SchoolMeal:
    """The meal is served: its lots are transformed into it (one transformation event); no more use into it."""
    meal = meal_lock(session, meal_id, for_change=True)
    assert_kitchen_actor(actor, meal.school_id)
    _assert_not_served(meal, "结束供餐", "be served again")
    lots = lots_of_meal(session, meal)
    if not lots:
        raise Conflict("meal_without_lots", f"{meal_name_zh(meal)}还没有出库记录，不能结束供餐",
                       "Nothing was taken into this meal yet; record its use (出库) before serving it",
                       meal_id=meal.id)
    at = occurred_at or occurred_on(meal.meal_date)
    event = record_event(
        session, stream=stream_of("meal", meal.id), biz_step="commissioning", action="ADD", disposition="active",
        actor=actor, subject_type="meal", subject_id=meal.id, school_id=meal.school_id, occurred_at=at,
        payload=transformation_payload(meal, lots, [d.name for d in dishes_of_meal(session, meal.id)]))
    run_prebuilt(session, _SERVE, {"meal_id": meal.id, "served_at": at, "served_by": actor.user_id,
                                   "served_event_id": event.event_id})
    session.expire(meal, ["served_at", "served_by", "served_event_id"])
    return meal
