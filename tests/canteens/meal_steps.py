"""Steps the meal and retained-sample specifications share: a school with stock, a meal of it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from canteens import meals
from canteens.meal_models import SchoolMeal
from canteens.models import Meal
from tests.factories import World, make_batch, make_order_line, today
from trace.models import CustodyEvent


def stocked(session, world: World, quantity: str = "400") -> World:
    """The world's school has received ``quantity`` kg of the world's batch today."""
    world.receive(session, world.ship(session, quantity), quantity)
    session.commit()
    return world


def second_lot(session, world: World, quantity: str = "100"):
    """Another batch of the same product from the same supplier, received at the world's school."""
    batch = make_batch(session, world.supplier, world.product, world.actor(world.supplier_user))
    line = make_order_line(session, world.school, world.supplier, world.product)
    shipment = world.ship(session, quantity, batch_id=batch.id, order_line_id=line.id)
    world.receive(session, shipment, quantity)
    session.commit()
    return batch


def open_meal(session, world: World, *, meal: Meal = Meal.lunch, day: date | None = None,
              dishes: tuple[str, ...] = ("米饭", "番茄炒蛋")) -> SchoolMeal:
    opened = meals.meal_get_or_create(session, actor=world.actor(world.staff), meal_date=day or today(), meal=meal,
                                      dishes=list(dishes))
    session.commit()
    return opened


def use_into(session, world: World, meal: SchoolMeal, quantity: str, *, batch_id: int | None = None, dish: str = ""):
    use = meals.meal_use(session, actor=world.actor(world.staff), meal_id=meal.id,
                         batch_id=batch_id or world.batch.id, quantity=Decimal(quantity), unit="kg", dish=dish)
    session.commit()
    return use


def events_outside_accounts(session) -> int:
    """Custody events outside the accounts' chains (a new API token is recorded there)."""
    session.expire_all()
    statement = select(func.count()).select_from(CustodyEvent).where(CustodyEvent.stream.not_like("user:%"))
    return session.execute(statement).scalar_one()
