"""Meals: each school's breakfast, lunch and dinner, the lots in it, 陪餐, and serving as a transformation."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import Session

from canteens import meals, samples
from canteens import service as canteen_service
from canteens.meal_review import meal_view
from canteens.models import Meal, Stock
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from tests.canteens.meal_steps import events_outside_accounts, open_meal, second_lot, stocked, use_into
from tests.factories import (
    bearer,
    check_fields,
    days_ago,
    make_batch,
    make_order_line,
    make_product,
    make_school,
    make_user,
    make_world,
    receive_checked,
    today,
)
from tests.helpers import assert_refused
from trace.custody import Actor, events_in_stream
from trace.db import utcnow
from trace.digital_link import build_digital_link
from trace.errors import Conflict, Forbidden
from trace.models import Role
from trace.settings import get_settings


@pytest.fixture
def world(session):
    return stocked(session, make_world(session))


def warning_codes(session, meal) -> list[str]:
    session.expire_all()
    return [w["code"] for w in meal_view(session, meals.meal_get(session, meal.id)).warnings]


# --- one meal per school, day and meal -----------------------------------------------------------

def test_a_meal_is_opened_once_per_school_day_and_meal_and_gathers_its_dishes(session, world):
    first = open_meal(session, world, dishes=("米饭",))
    again = open_meal(session, world, dishes=("米饭", "红烧肉"))

    assert again.id == first.id
    assert [d.name for d in meals.dishes_of_meal(session, first.id)] == ["米饭", "红烧肉"]
    assert open_meal(session, world, meal=Meal.dinner).id != first.id


def test_opening_a_meal_starts_its_own_chain_with_its_menu(session, world):
    meal = open_meal(session, world, dishes=("米饭", "番茄炒蛋"))

    [opening] = events_in_stream(session, f"meal:{meal.id}")
    assert (opening.biz_step, opening.action, opening.school_id) == ("meal_planning", "ADD", world.school.id)
    assert json.loads(opening.payload)["dishes"] == ["米饭", "番茄炒蛋"]


def test_staff_of_another_school_cannot_record_into_a_meal(session, world):
    meal = open_meal(session, world)
    other = make_user(session, Role.canteen_staff, school_id=make_school(session).id)

    with pytest.raises(Forbidden):
        meals.meal_add_dish(session, actor=world.actor(other), meal_id=meal.id, name="紫菜汤")


# --- the lots in a meal, the meals of a lot --------------------------------------------------------

def test_a_use_into_a_meal_is_the_kitchen_use_of_its_school_day_and_meal(session, world):
    meal = open_meal(session, world)

    use = use_into(session, world, meal, "12.5", dish="米饭")

    assert (use.school_id, use.use_date, use.meal, use.dish) == (world.school.id, today(), Meal.lunch, "米饭")
    stock = session.execute(select(Stock).where(Stock.batch_id == world.batch.id)).scalar_one()
    assert stock.used_quantity == Decimal("12.5")


def test_a_meal_knows_every_lot_in_it_and_a_lot_every_meal_it_went_into(session, world):
    rice = second_lot(session, world)
    lunch, dinner = open_meal(session, world), open_meal(session, world, meal=Meal.dinner)
    use_into(session, world, lunch, "10", dish="米饭")
    use_into(session, world, lunch, "2", dish="番茄炒蛋")
    use_into(session, world, lunch, "5", batch_id=rice.id, dish="米饭")
    use_into(session, world, dinner, "8", dish="米饭")

    lots = meals.lots_of_meal(session, lunch)
    assert [(lot.batch.id, lot.quantity, lot.dishes) for lot in lots] == [
        (world.batch.id, Decimal("12"), ["番茄炒蛋", "米饭"]), (rice.id, Decimal("5"), ["米饭"])]
    went_into = meals.meals_of_batch(session, world.batch.id)
    assert [(m.meal.id, m.meal_kind, m.quantity) for m in went_into] == [
        (lunch.id, Meal.lunch, Decimal("12")), (dinner.id, Meal.dinner, Decimal("8"))]
    assert [m.meal.id for m in meals.meals_of_batch(session, rice.id)] == [lunch.id]


def test_a_use_recorded_outside_the_meal_joins_the_meal_of_its_day(session, world):
    meal = open_meal(session, world)
    canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("3"), unit="kg", use_date=today(), meal="lunch"))
    canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("4"), unit="kg", use_date=today(), meal="breakfast"))
    session.commit()

    assert [lot.quantity for lot in meals.lots_of_meal(session, meal)] == [Decimal("3")]
    # Breakfast was never opened as a meal: the lot still names it, without a meal record.
    went_into = meals.meals_of_batch(session, world.batch.id)
    assert [(m.meal_kind, m.meal and m.meal.id) for m in went_into] == [(Meal.breakfast, None), (Meal.lunch, meal.id)]


def test_a_meal_lists_only_the_lots_of_its_own_school(session, world):
    other_school = make_school(session)
    line = make_order_line(session, other_school, world.supplier, world.product)
    other_staff = make_user(session, Role.canteen_staff, school_id=other_school.id)
    shipment = world.ship(session, "50", order_line_id=line.id)
    receive_checked(session, other_staff, make_user(session, Role.canteen_staff, school_id=other_school.id),
                    check_fields(session, shipment, "50"))
    theirs = meals.meal_get_or_create(session, actor=world.actor(other_staff), meal_date=today(), meal=Meal.lunch)
    ours = open_meal(session, world)
    meals.meal_use(session, actor=world.actor(other_staff), meal_id=theirs.id, batch_id=world.batch.id,
                   quantity=Decimal("6"), unit="kg")
    use_into(session, world, ours, "1")

    assert [lot.quantity for lot in meals.lots_of_meal(session, ours)] == [Decimal("1")]
    assert [m.meal.id for m in meals.meals_of_batch(session, world.batch.id, school_id=world.school.id)] == [ours.id]


# --- the kitchen's rules hold through the meal ---------------------------------------------------------

def test_an_expired_lot_is_refused_through_the_meal_and_nothing_is_written(session, world):
    product = make_product(session, shelf_life_days=3)
    batch = make_batch(session, world.supplier, product, world.actor(world.supplier_user), production_date=days_ago(4))
    line = make_order_line(session, world.school, world.supplier, product)
    shipment = world.ship(session, "10", batch_id=batch.id, order_line_id=line.id, ship_date=days_ago(2))
    world.receive(session, shipment, "10", receipt_date=days_ago(2))
    meal = open_meal(session, world)
    before = events_outside_accounts(session)

    with pytest.raises(Conflict) as refused:
        use_into(session, world, meal, "1", batch_id=batch.id)

    session.rollback()
    assert refused.value.code == "batch_expired"
    assert events_outside_accounts(session) == before
    assert meals.lots_of_meal(session, meal) == []


def test_a_held_lot_is_refused_through_the_meal_and_nothing_is_written(session, world):
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="农残快检阳性，待复检")
    meal = open_meal(session, world)
    before = events_outside_accounts(session)

    with pytest.raises(Conflict) as refused:
        use_into(session, world, meal, "1")

    session.rollback()
    assert refused.value.code == "batch_on_hold"
    assert events_outside_accounts(session) == before


def test_a_dish_not_on_the_menu_is_refused(session, world):
    meal = open_meal(session, world, dishes=("米饭",))

    with pytest.raises(Conflict) as refused:
        use_into(session, world, meal, "1", dish="红烧肉")

    assert refused.value.code == "dish_not_on_menu"


# --- serving: the transformation ---------------------------------------------------------------------

def test_serving_writes_a_transformation_event_with_the_lots_in_and_the_meal_out(session, world):
    rice = second_lot(session, world)
    meal = open_meal(session, world)
    first = use_into(session, world, meal, "10", dish="米饭")
    second = use_into(session, world, meal, "5", batch_id=rice.id, dish="米饭")

    served = meals.meal_serve(session, actor=world.actor(world.staff), meal_id=meal.id)
    session.commit()

    event = events_in_stream(session, f"meal:{meal.id}")[-1]
    assert (event.biz_step, event.action, event.event_id) == ("commissioning", "ADD", served.served_event_id)
    payload = json.loads(event.payload)
    assert payload["epcis_event_type"] == "TransformationEvent"
    base = get_settings().resolver_base_url
    assert [(i["epc_class"], i["quantity"], i["use_event_ids"]) for i in payload["input_quantity_list"]] == [
        (build_digital_link(base, world.batch.gtin, world.batch.lot_code), "10.000", [first.event_id]),
        (build_digital_link(base, rice.gtin, rice.lot_code), "5.000", [second.event_id])]
    assert payload["output"] == {"meal_id": meal.id, "school_id": world.school.id, "meal_date": today().isoformat(),
                                 "meal": "lunch", "meal_zh": "午餐", "dishes": ["米饭", "番茄炒蛋"]}
    assert served.served_at is not None


def test_after_serving_nothing_more_goes_into_the_meal(session, world):
    meal = open_meal(session, world)
    use_into(session, world, meal, "1")
    meals.meal_serve(session, actor=world.actor(world.staff), meal_id=meal.id)
    session.commit()

    for late in (lambda: use_into(session, world, meal, "1"),
                 lambda: meals.meal_serve(session, actor=world.actor(world.staff), meal_id=meal.id)):
        with pytest.raises(Conflict) as refused:
            late()
        assert refused.value.code == "meal_already_served"
        session.rollback()


def test_a_meal_with_nothing_taken_into_it_cannot_be_served(session, world):
    meal = open_meal(session, world)

    with pytest.raises(Conflict) as refused:
        meals.meal_serve(session, actor=world.actor(world.staff), meal_id=meal.id)

    assert refused.value.code == "meal_without_lots"


def test_a_use_recorded_for_a_served_meal_by_another_way_is_flagged(session, world):
    meal = open_meal(session, world)
    use_into(session, world, meal, "1")
    meals.meal_serve(session, actor=world.actor(world.staff), meal_id=meal.id)
    canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("2"), unit="kg", use_date=today(), meal="lunch"))
    session.commit()

    assert "use_after_serving" in warning_codes(session, meal)


# --- 陪餐 ---------------------------------------------------------------------------------------------

def test_a_meal_without_a_school_leader_eating_with_the_students_is_flagged_until_one_is_recorded(session, world):
    meal = open_meal(session, world)
    assert "meal_without_companion" in warning_codes(session, meal)

    meals.meal_record_companion(session, actor=world.actor(world.staff), meal_id=meal.id, name="李明", title="副校长")
    session.commit()

    assert "meal_without_companion" not in warning_codes(session, meal)
    assert [e.biz_step for e in events_in_stream(session, f"meal:{meal.id}")] == ["meal_planning", "accompanying"]


# --- through the API -------------------------------------------------------------------------------

def test_a_morning_in_the_kitchen_through_the_api(client, session, world):
    staff = bearer(session, world.staff)
    opened = client.post("/api/v1/meals", json={"meal_date": today().isoformat(), "meal": "lunch",
                                                "dishes": ["米饭"]}, headers=staff)
    assert opened.status_code == 201, opened.text
    meal_id = opened.json()["id"]
    assert client.post(f"/api/v1/meals/{meal_id}/dishes", json={"name": "番茄炒蛋"}, headers=staff).status_code == 201
    used = client.post(f"/api/v1/meals/{meal_id}/uses", json={"batch_id": world.batch.id, "quantity": "12.5",
                                                               "unit": "kg", "dish": "米饭"}, headers=staff)
    assert used.status_code == 201, used.text
    assert client.post(f"/api/v1/meals/{meal_id}/companions", json={"name": "李明", "title": "副校长"},
                       headers=staff).status_code == 201
    served = client.post(f"/api/v1/meals/{meal_id}/serve", headers=staff)

    assert served.status_code == 200, served.text
    body = served.json()
    assert body["served_event_id"] and [d["name"] for d in body["dishes"]] == ["米饭", "番茄炒蛋"]
    assert [c["name"] for c in body["companions"]] == ["李明"]
    assert {w["code"] for w in body["review_warnings"]} == {"meal_without_sample", "dish_without_sample"}
    listed = client.get(f"/api/v1/schools/{world.school.id}/meals?from={today().isoformat()}", headers=staff)
    assert [m["id"] for m in listed.json()] == [meal_id]


def test_a_held_lot_is_refused_through_the_meal_api(client, session, world):
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="待检")
    meal = open_meal(session, world)

    response = client.post(f"/api/v1/meals/{meal.id}/uses", json={"batch_id": world.batch.id, "quantity": "1",
                                                                  "unit": "kg"}, headers=bearer(session, world.staff))

    assert_refused(response, 409, "batch_on_hold")


def test_a_meal_of_another_school_is_not_found(client, session, world):
    meal = open_meal(session, world)
    other = bearer(session, make_user(session, Role.canteen_staff, school_id=make_school(session).id))

    for path in (f"/api/v1/meals/{meal.id}", f"/api/v1/meals/{meal.id}/trace"):
        assert_refused(client.get(path, headers=other), 404, "meal_not_found")
    assert_refused(client.post(f"/api/v1/meals/{meal.id}/dishes", json={"name": "汤"}, headers=other), 404,
                   "meal_not_found")


def test_suppliers_do_not_read_a_schools_meals(client, session, world):
    meal = open_meal(session, world)

    assert_refused(client.get(f"/api/v1/meals/{meal.id}", headers=bearer(session, world.supplier_user)), 403,
                   "meals_not_visible")


def test_from_a_meal_an_investigator_reaches_every_lot_its_supplier_tests_and_samples(client, session, world):
    inspection_service.test_result_record(
        session, actor=world.actor(world.staff), batch_id=world.batch.id, kind="pesticide_enzyme_inhibition",
        tested_at=utcnow(), value=Decimal("12"),
        school_id=world.school.id)
    meal = open_meal(session, world, dishes=("米饭", "番茄炒蛋"))
    use = use_into(session, world, meal, "10", dish="米饭")
    rice_sample = samples.sample_take(session, actor=world.actor(world.staff), meal_id=meal.id, dish="米饭",
                                      weight_grams=Decimal("150"), fridge="留样柜1", position="第2层")
    samples.sample_take(session, actor=world.actor(world.staff), meal_id=meal.id, dish="番茄炒蛋",
                        weight_grams=Decimal("130"), fridge="留样柜1")
    session.commit()

    response = client.get(f"/api/v1/meals/{meal.id}/trace", headers=bearer(session, world.inspector))

    assert response.status_code == 200, response.text
    trace = response.json()
    [lot] = trace["lots"]
    assert (lot["batch"]["id"], lot["batch"]["lot_code"], lot["quantity"]) == (
        world.batch.id, world.batch.lot_code, "10.000")
    assert lot["supplier"]["id"] == world.supplier.id and lot["supplier"]["credit_code"] == world.supplier.credit_code
    assert [t["kind"] for t in lot["tests"]] == ["pesticide_enzyme_inhibition"]
    assert [u["id"] for u in lot["uses"]] == [use.id]
    assert lot["sample_ids"] == [rice_sample.id]  # the dish it went into
    assert [s["dish"] for s in trace["samples"]] == ["米饭", "番茄炒蛋"]


def test_from_a_lot_every_meal_it_went_into_and_a_canteen_sees_its_own(client, session, world):
    other_school = make_school(session)
    other_staff = make_user(session, Role.canteen_staff, school_id=other_school.id)
    line = make_order_line(session, other_school, world.supplier, world.product)
    shipment = world.ship(session, "20", order_line_id=line.id)
    receive_checked(session, other_staff, make_user(session, Role.canteen_staff, school_id=other_school.id),
                    check_fields(session, shipment, "20"))
    theirs = meals.meal_get_or_create(session, actor=world.actor(other_staff), meal_date=today(), meal=Meal.dinner)
    meals.meal_use(session, actor=world.actor(other_staff), meal_id=theirs.id, batch_id=world.batch.id,
                   quantity=Decimal("2"), unit="kg")
    ours = open_meal(session, world)
    use_into(session, world, ours, "3", dish="米饭")
    path = f"/api/v1/batches/{world.batch.id}/meals"

    everyone = client.get(path, headers=bearer(session, world.inspector)).json()
    own = client.get(path, headers=bearer(session, world.staff)).json()

    assert [(m["meal_id"], m["school_id"], m["quantity"]) for m in everyone] == [
        (ours.id, world.school.id, "3.000"), (theirs.id, other_school.id, "2.000")]
    assert [(m["meal_id"], m["dishes"]) for m in own] == [(ours.id, ["米饭"])]
    assert_refused(client.get(path, headers=bearer(session, world.supplier_user)), 403, "meals_not_visible")


def test_canteen_staff_cannot_open_a_meal_for_another_school(client, session, world):
    other_school = make_school(session)

    response = client.post("/api/v1/meals", json={"school_id": other_school.id, "meal_date": today().isoformat(),
                                                  "meal": "lunch"}, headers=bearer(session, world.staff))

    assert_refused(response, 403, "not_your_school")
    assert meals.meals_of_school(session, other_school.id) == []


def test_a_schools_meals_are_listed_by_day_then_breakfast_lunch_dinner(session, world):
    dinner = open_meal(session, world, meal=Meal.dinner, day=days_ago(1))
    lunch = open_meal(session, world, meal=Meal.lunch, day=days_ago(1))
    breakfast = open_meal(session, world, meal=Meal.breakfast, day=days_ago(1))
    today_lunch = open_meal(session, world)

    listed = meals.meals_of_school(session, world.school.id)
    yesterday = meals.meals_of_school(session, world.school.id, date_from=days_ago(1), date_to=days_ago(1))

    assert [m.id for m in listed] == [breakfast.id, lunch.id, dinner.id, today_lunch.id]
    assert [m.id for m in yesterday] == [breakfast.id, lunch.id, dinner.id]


def test_two_staff_opening_the_same_meal_at_once_get_one_meal(engine, session, world):
    colleague = make_user(session, Role.canteen_staff, school_id=world.school.id)
    session.commit()
    ready = threading.Barrier(2)
    opened: list[int] = []

    def open_as(user) -> None:
        with Session(engine, expire_on_commit=False) as own:
            ready.wait()
            meal = meals.meal_get_or_create(own, actor=Actor.of(user), meal_date=today(), meal=Meal.lunch,
                                            dishes=["米饭"])
            own.commit()
            opened.append(meal.id)

    workers = [threading.Thread(target=open_as, args=(user,)) for user in (world.staff, colleague)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert len(opened) == 2 and opened[0] == opened[1]
    assert [e.biz_step for e in events_in_stream(session, f"meal:{opened[0]}")] == ["meal_planning"]
    assert [d.name for d in meals.dishes_of_meal(session, opened[0])] == ["米饭"]


def test_a_dish_name_longer_than_the_menu_holds_is_refused_as_input(client, session, world):
    response = client.post("/api/v1/meals", json={"meal_date": today().isoformat(), "meal": "lunch",
                                                  "dishes": ["米饭", "菜" * 101]}, headers=bearer(session, world.staff))

    assert_refused(response, 422, "invalid_request")
    assert meals.meals_of_school(session, world.school.id) == []
