"""The canteen's meal pages as a browser sees them: the day's meals, 出库 into a meal by its lot code,
陪餐, 留样 per dish, serving, the samples in the fridge and the meal's investigation screen."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from canteens import samples
from canteens.dates import occurred_on
from canteens.meal_models import MealCompanion, RetainedSample, RetainedSampleDiscard, SchoolMeal
from canteens.models import KitchenUse, Meal
from inspections import service as inspection_service
from tests.canteens.meal_steps import open_meal, second_lot, stocked, use_into
from tests.factories import make_person, make_school, today
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace.custody import Actor
from trace.db import utcnow
from trace.models import Role


@pytest.fixture
def people(session):
    people = world_with_people(session)
    stocked(session, people.world)
    return people


@pytest.fixture
def staff(client, people):
    sign_in(client, people.canteen)
    return client


def post_form(client, page_url: str, action: str, data: dict[str, str]):
    token = form_token(client.get(page_url).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


def count(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# --- the day's meals ---------------------------------------------------------------------------


def test_the_meals_page_shows_todays_lunch_with_its_status_dishes_lots_samples_and_warnings(staff, session, people):
    lunch = open_meal(session, people.world)
    use_into(session, people.world, lunch, "20", dish="米饭")

    page = staff.get("/canteen/meals")

    assert page.status_code == 200
    assert "午餐" in page.text and "计划中" in page.text
    assert "米饭、番茄炒蛋" in page.text
    assert "没有陪餐记录" in page.text and "没有留样" in page.text
    assert f'href="/canteen/meals/{lunch.id}"' in page.text


def test_a_meal_with_no_sample_yet_says_so_once_not_once_per_dish(staff, session, people):
    lunch = open_meal(session, people.world, dishes=("米饭", "番茄炒蛋", "清炒油菜"))

    page = staff.get(f"/canteen/meals/{lunch.id}").text
    listed = staff.get("/canteen/meals").text

    for text in (page, listed):
        assert text.count("午餐没有留样") == 1
        assert "“番茄炒蛋”没有留样" not in text
    samples.sample_take(session, actor=Actor.of(people.world.staff), meal_id=lunch.id, dish="米饭",
                        weight_grams=Decimal("150"), fridge="留样柜1")
    session.commit()
    page = staff.get(f"/canteen/meals/{lunch.id}").text
    assert "午餐没有留样" not in page and "“番茄炒蛋”没有留样" in page and "“清炒油菜”没有留样" in page


def test_opening_a_meal_with_its_dishes_leads_to_the_meal(staff, session):
    reply = post_form(staff, "/canteen/meals", "/canteen/meals",
                      {"meal_date": today().isoformat(), "meal": "lunch", "dishes": "米饭、红烧肉\n清炒白菜"})

    assert reply.status_code == 303
    meal = session.execute(select(SchoolMeal)).scalar_one()
    assert reply.headers["location"] == f"/canteen/meals/{meal.id}?done=opened"
    page = staff.get(reply.headers["location"])
    assert "餐次已开始登记" in page.text
    assert all(dish in page.text for dish in ("米饭", "红烧肉", "清炒白菜"))


def test_a_meal_without_breakfast_lunch_or_dinner_chosen_is_refused_on_the_form(staff, session):
    reply = post_form(staff, "/canteen/meals", "/canteen/meals", {"meal_date": today().isoformat(), "meal": ""})

    assert reply.status_code == 422
    assert "请选择早餐、午餐或晚餐" in reply.text
    assert count(session, SchoolMeal) == 0


def test_a_meal_of_tomorrow_is_refused_on_the_form(staff, session):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    reply = post_form(staff, "/canteen/meals", "/canteen/meals", {"meal_date": tomorrow, "meal": "lunch"})

    assert reply.status_code == 422
    assert 'role="alert"' in reply.text and "{" not in reply.text.split('role="alert">')[1].split("<")[0]
    assert count(session, SchoolMeal) == 0


# --- 出库 into a meal --------------------------------------------------------------------------


def test_the_use_form_is_an_offline_form_with_a_scannable_lot_code_and_the_stock_first_expiring_first(
        staff, session, people):
    world = people.world
    sooner = second_lot(session, world)
    sooner.expiry_date = today() + timedelta(days=3)
    session.add(sooner)
    session.commit()
    lunch = open_meal(session, world)

    page = staff.get(f"/canteen/meals/{lunch.id}").text

    assert f'data-offline="meal-use" data-meal-id="{lunch.id}"' in page
    form = page.split('data-offline="meal-use"')[1].split("</form>")[0]
    assert re.search(r'<input id="lot_code" name="lot_code"[^>]*data-scan', form)
    for name in ("batch_id", "quantity", "unit", "dish"):
        assert f'name="{name}"' in form
    assert form.index(sooner.lot_code) < form.index(world.batch.lot_code)
    assert "距到期 3 天" in form


def test_typing_the_lot_code_uses_the_lot_into_the_meal_and_lists_it(staff, session, people):
    world = people.world
    lunch = open_meal(session, world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": world.batch.lot_code, "quantity": "12.5",
                                                  "unit": "kg", "dish": "米饭"})

    assert reply.status_code == 303 and reply.headers["location"] == f"{url}?done=use#use"
    use = session.execute(select(KitchenUse)).scalar_one()
    assert (use.batch_id, use.quantity, use.meal, use.dish) == (world.batch.id, Decimal("12.500"), Meal.lunch, "米饭")
    page = staff.get(reply.headers["location"]).text
    assert "已出库到本餐" in page
    lots = page.split('id="lots"')[1].split("</section>")[0]
    assert world.batch.lot_code in lots and "12.5 kg" in lots and world.supplier.name in lots


def test_the_labels_qr_link_names_the_lot_as_well_as_its_code(staff, session, people):
    world = people.world
    lunch = open_meal(session, world)
    url = f"/canteen/meals/{lunch.id}"
    link = f"https://trace.example/01/{world.batch.gtin}/10/{world.batch.lot_code}"

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": link, "quantity": "2", "unit": "kg", "dish": ""})

    assert reply.status_code == 303
    assert count(session, KitchenUse) == 1


def test_a_sealed_lot_is_refused_with_its_reason_and_nothing_is_recorded(staff, session, people):
    world = people.world
    lunch = open_meal(session, world)
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="快检阳性")
    session.commit()
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": world.batch.lot_code, "quantity": "1", "unit": "kg"})

    assert reply.status_code == 409
    alert = reply.text.split('role="alert">')[1].split("</p>")[0]
    assert "封存" in alert
    assert count(session, KitchenUse) == 0


def test_more_than_is_on_hand_is_refused_on_the_form(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": people.world.batch.lot_code, "quantity": "5000",
                                                  "unit": "kg"})

    assert reply.status_code == 409
    assert "出库数量超过库存" in reply.text
    assert 'value="5000"' in reply.text  # what was typed stays on the form
    assert count(session, KitchenUse) == 0


def test_a_lot_code_not_in_the_schools_stock_is_refused(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": "NOSUCHLOT9", "quantity": "1", "unit": "kg"})

    assert reply.status_code == 409
    assert "本校库存中没有批号 NOSUCHLOT9" in reply.text


def test_a_refusal_reads_in_english_on_the_english_page(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"
    staff.get(f"{url}?lang=en")

    reply = post_form(staff, url, f"{url}/uses", {"lot_code": "", "batch_id": "", "quantity": "1", "unit": "kg"})

    assert reply.status_code == 422
    assert "Scan or type the lot code, or choose a lot from the stock list" in reply.text


# --- 陪餐, 留样, serving -------------------------------------------------------------------------


def test_a_sample_of_a_dish_is_recorded_by_the_signed_in_person_now(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/samples", {"dish": "番茄炒蛋", "weight_grams": "150", "fridge": "留样柜1",
                                                     "position": "第2层左"})

    assert reply.status_code == 303
    sample = session.execute(select(RetainedSample)).scalar_one()
    assert (sample.dish, sample.weight_grams, sample.fridge, sample.position) == (
        "番茄炒蛋", Decimal("150.000"), "留样柜1", "第2层左")
    assert abs((utcnow() - sample.taken_at).total_seconds()) < 60
    page = staff.get(reply.headers["location"]).text
    assert "留样已登记" in page and "食堂 王示例" in page and "“番茄炒蛋”没有留样" not in page


def test_a_sample_under_the_legal_minimum_is_refused_and_the_minimum_is_shown(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"
    assert "至少 125 克" in staff.get(url).text

    reply = post_form(staff, url, f"{url}/samples", {"dish": "米饭", "weight_grams": "100", "fridge": "留样柜1"})

    assert reply.status_code == 422
    assert "留样每个品种不少于 125 克" in reply.text
    assert count(session, RetainedSample) == 0


def test_the_school_leader_who_ate_with_the_students_is_recorded(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/companions", {"name": "李明", "title": "副校长"})

    assert reply.status_code == 303
    assert session.execute(select(MealCompanion.name)).scalar_one() == "李明"
    assert "没有陪餐记录" not in staff.get(url).text


def test_serving_closes_the_meal_to_more_use(staff, session, people):
    lunch = open_meal(session, people.world)
    use_into(session, people.world, lunch, "10", dish="米饭")
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/serve", {})

    assert reply.status_code == 303
    page = staff.get(url).text
    assert "已供餐" in page and 'data-offline="meal-use"' not in page


def test_serving_a_meal_with_nothing_in_it_is_refused_on_the_page(staff, session, people):
    lunch = open_meal(session, people.world)
    url = f"/canteen/meals/{lunch.id}"

    reply = post_form(staff, url, f"{url}/serve", {})

    assert reply.status_code == 409
    assert "还没有出库记录，不能结束供餐" in reply.text


def test_another_schools_meal_is_not_found(client, session, people):
    lunch = open_meal(session, people.world)
    make_person(session, Role.canteen_staff, username="other-school", school_id=make_school(session).id)
    session.commit()
    sign_in(client, "other-school")

    assert client.get(f"/canteen/meals/{lunch.id}").status_code == 404
    assert client.get(f"/canteen/meals/{lunch.id}/trace").status_code == 404


# --- the samples in the fridge -------------------------------------------------------------------


def _sample(session, world, meal, dish: str, hours_ago: float):
    taken = utcnow() - timedelta(hours=hours_ago)
    sample = samples.sample_take(session, actor=world.actor(world.staff), meal_id=meal.id, dish=dish,
                                 weight_grams=Decimal("150"), fridge="留样柜1", position="上层", taken_at=taken)
    session.commit()
    return sample


def test_a_sample_in_the_fridge_says_how_long_it_must_still_be_kept(staff, session, people):
    lunch = open_meal(session, people.world)
    _sample(session, people.world, lunch, "米饭", hours_ago=0)

    page = staff.get("/canteen/samples").text

    keeping = page.split('id="keeping"')[1].split("</section>")[0]
    assert "米饭" in keeping and "还需 48 小时" in keeping
    assert "没有到期待处理的留样" in page


def test_a_sample_due_for_discard_is_discarded_from_the_list(staff, session, people):
    two_days_ago = today() - timedelta(days=3)
    old = open_meal(session, people.world, day=two_days_ago)
    sample = samples.sample_take(session, actor=people.world.actor(people.world.staff), meal_id=old.id, dish="米饭",
                                 weight_grams=Decimal("130"), fridge="留样柜2",
                                 taken_at=occurred_on(two_days_ago) - timedelta(hours=1))
    session.commit()

    page = staff.get("/canteen/samples").text
    due = page.split('id="due"')[1].split("</section>")[0]
    assert "米饭" in due and f'action="/canteen/samples/{sample.id}/discard"' in due

    reply = post_form(staff, "/canteen/samples", f"/canteen/samples/{sample.id}/discard", {})

    assert reply.status_code == 303
    assert count(session, RetainedSampleDiscard) == 1
    assert "留样处理已登记" in staff.get(reply.headers["location"]).text


def test_every_sample_due_is_discarded_in_one_go_and_those_still_kept_stay(staff, session, people):
    three_days_ago = today() - timedelta(days=3)
    old = open_meal(session, people.world, day=three_days_ago)
    samples.samples_take(session, actor=people.world.actor(people.world.staff), meal_id=old.id, taken=[
        samples.SampleIn(dish=dish, weight_grams=Decimal("150"), fridge="留样柜1",
                         taken_at=occurred_on(three_days_ago)) for dish in ("米饭", "番茄炒蛋")])
    session.commit()
    _sample(session, people.world, open_meal(session, people.world), "米饭", hours_ago=1)
    page = staff.get("/canteen/samples").text
    # the one button comes before the samples, which a long list folds behind a summary
    assert "全部 2 份已处理" in page and page.index("/canteen/samples/discard-due") < page.index("逐份处理（2 份）")

    reply = post_form(staff, "/canteen/samples", "/canteen/samples/discard-due", {})

    assert reply.status_code == 303
    assert count(session, RetainedSampleDiscard) == 2
    assert "还需 47 小时" in staff.get("/canteen/samples").text


def test_a_sample_discarded_too_early_is_refused_with_the_time_it_may_go(staff, session, people):
    lunch = open_meal(session, people.world)
    sample = _sample(session, people.world, lunch, "米饭", hours_ago=1)

    reply = post_form(staff, "/canteen/samples", f"/canteen/samples/{sample.id}/discard", {})

    assert reply.status_code == 409
    assert "留样须冷藏至少 48 小时" in reply.text
    assert count(session, RetainedSampleDiscard) == 0


def test_a_past_meal_without_a_sample_is_listed_as_a_warning(staff, session, people):
    yesterday = open_meal(session, people.world, day=today() - timedelta(days=1))
    open_meal(session, people.world)  # today's, still being cooked: not yet a warning

    unsampled = staff.get("/canteen/samples").text.split('id="unsampled"')[1].split("</section>")[0]

    assert f'href="/canteen/meals/{yesterday.id}#sample"' in unsampled
    assert unsampled.count("<li>") == 1


# --- the investigation screen and the stock ------------------------------------------------------


def test_the_investigation_screen_reaches_every_lot_its_supplier_tests_receipt_and_samples(staff, session, people):
    world = people.world
    inspection_service.test_result_record(session, actor=Actor.of(world.staff), batch_id=world.batch.id,
                                          school_id=world.school.id, kind="pesticide_enzyme_inhibition",
                                          value=Decimal("12"), tested_at=utcnow())
    lunch = open_meal(session, world)
    use_into(session, world, lunch, "10", dish="米饭")
    _sample(session, world, lunch, "米饭", hours_ago=0)

    page = staff.get(f"/canteen/meals/{lunch.id}/trace")

    assert page.status_code == 200
    lot = page.text.split(f'id="lot-{world.batch.id}"')[1].split("</article>")[0]
    assert world.batch.lot_code in lot and world.supplier.name in lot and world.supplier.credit_code in lot
    assert "正常" in lot  # the supplier's standing
    assert "有效期至" in lot  # its licences
    assert "验收" in lot and "10 kg" in lot
    assert "农药残留快检" in lot and "阴性" in lot  # the test's verdict in words, from the catalog
    assert 'href="#sample-' in lot
    assert "留样柜1" in page.text.split('id="samples"')[1]


def test_an_inspector_opens_the_same_screen_and_reaches_the_meal_from_the_lot(client, session, people):
    world = people.world
    lunch = open_meal(session, world)
    use_into(session, world, lunch, "10", dish="米饭")
    sign_in(client, people.inspector)

    meal_page = client.get(f"/inspect/meals/{lunch.id}")
    batch_page = client.get(f"/inspect/batches/{world.batch.id}").text

    assert meal_page.status_code == 200 and world.batch.lot_code in meal_page.text
    assert f'href="/inspect/batches/{world.batch.id}"' in meal_page.text
    assert f'href="/inspect/meals/{lunch.id}"' in batch_page.split('id="meals"')[1].split("</section>")[0]


def test_stock_shows_days_to_expiry_and_the_meals_each_lot_went_into(staff, session, people):
    world = people.world
    lunch = open_meal(session, world)
    use_into(session, world, lunch, "10", dish="米饭")

    page = staff.get("/canteen/stock").text

    assert "天后到期" in page or "天" in page
    assert f'href="/canteen/meals/{lunch.id}"' in page
