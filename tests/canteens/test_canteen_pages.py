"""The canteen staff's pages: today's deliveries, a shipment, the stock and kitchen use, as a browser sees them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from canteens import service as canteen_service
from canteens.schemas import OrderCreate, OrderLineIn, UseCreate
from inspections import service as inspection_service
from tests.factories import make_batch, make_order_line, make_person, make_school, today
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace.accounts import system_actor
from trace.custody import Actor
from trace.db import utcnow
from trace.models import Role


@pytest.fixture
def people(session):
    return world_with_people(session)


@pytest.fixture
def staff(client, people):
    sign_in(client, people.canteen)
    return client


def test_deliveries_show_what_arrives_today_with_supplier_lot_quantity_and_status(staff, session, people):
    world = people.world
    shipment = world.ship(session, "40")
    session.commit()

    page = staff.get("/canteen/deliveries")

    assert page.status_code == 200
    assert "今日应到" in page.text
    assert world.product.name in page.text and world.supplier.name in page.text
    assert world.batch.lot_code in page.text and "40 kg" in page.text
    assert "在途" in page.text  # not yet received
    assert "1000 kg" in page.text  # what the order line asked for
    assert f'href="/canteen/receive?shipment={shipment.id}"' in page.text  # still to be received: into the check


def test_an_order_line_due_today_and_not_shipped_is_shown_as_missing(staff):
    page = staff.get("/canteen/deliveries")

    assert "未发货" in page.text


def test_a_partly_rejected_shipment_reads_partly_received(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "10"), "8", "2", rejection_reason="包装破损")
    session.commit()

    assert "部分验收" in staff.get("/canteen/deliveries").text


def test_a_line_due_days_ago_and_not_shipped_is_overdue(staff, session, people):
    world = people.world
    canteen_service.order_create(session, actor=system_actor(), data=OrderCreate(
        order_number="ZQCG-LATE-1", school_id=world.school.id, supplier_id=world.supplier.id,
        delivery_date=today() - timedelta(days=2),
        lines=[OrderLineIn(line_number=1, product_id=world.product.id, quantity=Decimal("50"), unit="kg",
                           unit_price_fen=500)]))
    session.commit()

    page = staff.get("/canteen/deliveries").text

    assert "逾期未到" in page and "ZQCG-LATE-1" in page


def test_the_shipment_page_shows_the_batch_papers_tests_and_receipt(staff, session, people):
    world = people.world
    shipment = world.ship(session, "10")
    world.receive(session, shipment, "10")
    session.commit()

    page = staff.get(f"/canteen/shipments/{shipment.id}")

    assert page.status_code == 200
    assert world.batch.lot_code in page.text and "生产日期" in page.text and "保质期至" in page.text
    assert "随货证明" in page.text and "检测结果" in page.text
    assert "已验收" in page.text and "验收入库" in page.text


def test_a_recalled_batch_is_flagged_on_its_shipment_page(staff, session, people):
    world = people.world
    shipment = world.ship(session, "10")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="recall", reason="抽检不合格")
    session.commit()

    page = staff.get(f"/canteen/shipments/{shipment.id}")

    assert "该批次已召回" in page.text and 'role="alert"' in page.text


def test_another_schools_shipment_is_not_found(client, session, people):
    world = people.world
    shipment = world.ship(session, "10")
    make_person(session, Role.canteen_staff, username="other-school", school_id=make_school(session).id)
    session.commit()
    sign_in(client, "other-school")

    page = client.get(f"/canteen/shipments/{shipment.id}")

    assert page.status_code == 404
    assert world.batch.lot_code not in page.text


def test_stock_lists_each_lot_with_what_is_on_hand_and_whether_it_may_be_used(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    session.commit()

    page = staff.get("/canteen/stock")

    assert world.batch.lot_code in page.text and "30 kg" in page.text and "可用" in page.text


def test_stock_puts_a_sealed_lot_first_and_says_not_to_use_it(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    sealed = make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user), lot_code="SEALED1")
    line = make_order_line(session, world.school, world.supplier, world.product)
    shipment = world.ship(session, "5", batch_id=sealed.id, order_line_id=line.id)
    world.receive(session, shipment, "5")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=sealed.id,
                                           action="hold", reason="快检阳性")
    session.commit()

    page = staff.get("/canteen/stock").text

    assert "已封存：禁止使用" in page
    assert page.index("SEALED1") < page.index(world.batch.lot_code)
    assert "不得使用" in page  # the alert above the table


def test_a_supplier_may_not_open_the_stock_page(client, people):
    sign_in(client, people.supplier)

    page = client.get("/canteen/stock")

    assert page.status_code == 403
    assert "只有本校食堂人员" in page.text


def test_the_use_form_records_a_use_and_redirects_to_the_days_list(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    session.commit()
    form = staff.get("/canteen/uses")
    assert "早餐" in form.text and "午餐" in form.text and "晚餐" in form.text

    posted = staff.post("/canteen/uses", data={"batch_id": str(world.batch.id), "quantity": "12.5", "meal": "lunch",
                                               "dish": "米饭", "csrf_token": form_token(form.text)},
                        follow_redirects=False)

    assert posted.status_code == 303
    assert posted.headers["location"] == f"/canteen/uses?day={today().isoformat()}&recorded=1"
    listed = staff.get(posted.headers["location"]).text
    assert "领用已记录" in listed and "12.5 kg" in listed and "米饭" in listed
    assert len(canteen_service.uses_of_school(session, world.school.id)) == 1


def test_a_use_beyond_the_stock_is_refused_on_the_form_with_the_reason(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    session.commit()

    page = staff.post("/canteen/uses", data={"batch_id": str(world.batch.id), "quantity": "31", "meal": "lunch",
                                             "dish": "", "csrf_token": form_token(staff.get("/canteen/uses").text)})

    assert page.status_code == 409
    assert "出库数量超过库存" in page.text
    assert 'value="31"' in page.text  # what was typed stays in the form


def test_a_use_without_a_quantity_is_refused_in_english_for_an_english_reader(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    session.commit()
    token = form_token(staff.get("/canteen/uses?lang=en").text)

    page = staff.post("/canteen/uses", data={"batch_id": str(world.batch.id), "quantity": "", "meal": "lunch",
                                             "csrf_token": token})

    assert page.status_code == 422
    assert "Enter a quantity greater than 0" in page.text


def test_a_use_form_posted_without_its_token_is_refused(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    session.commit()

    page = staff.post("/canteen/uses", data={"batch_id": str(world.batch.id), "quantity": "1", "meal": "lunch"})

    assert page.status_code == 403
    assert "表单已过期" in page.text
    assert canteen_service.uses_of_school(session, world.school.id) == []


def test_the_uses_page_filters_by_date(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30", receipt_date=today() - timedelta(days=1))
    canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("3"), unit="kg", use_date=today() - timedelta(days=1),
        meal="dinner", dish="炒饭"))
    session.commit()

    yesterday = staff.get(f"/canteen/uses?day={(today() - timedelta(days=1)).isoformat()}").text
    now = staff.get("/canteen/uses").text

    assert "炒饭" in yesterday and "晚餐" in yesterday
    assert "炒饭" not in now and "当天没有领用记录" in now


def test_a_sealed_lot_cannot_be_chosen_for_use(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "30"), "30")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="快检阳性")
    session.commit()

    page = staff.get("/canteen/uses").text

    assert f'value="{world.batch.id}"' not in page
    assert "库存中没有可用的批次" in page


def test_the_shipment_page_leads_into_the_two_person_check(staff, session, people):
    world = people.world
    shipment = world.ship(session, "40")
    session.commit()

    page = staff.get(f"/canteen/shipments/{shipment.id}").text

    assert f'href="/canteen/receive?shipment={shipment.id}"' in page
    assert "/receipt\"" not in page  # the one-step form is gone (canteens.receiving_pages)


def test_the_shipment_page_names_both_checkers_of_a_receipt(staff, session, people):
    world = people.world
    shipment = world.ship(session, "10")
    world.receive(session, shipment, "10")
    session.commit()

    page = staff.get(f"/canteen/shipments/{shipment.id}").text

    assert world.staff.display_name in page and world.staff2.display_name in page


def test_a_line_for_a_coming_day_not_yet_shipped_is_not_flagged_as_a_problem(staff, session, people):
    world = people.world
    canteen_service.order_create(session, actor=system_actor(), data=OrderCreate(
        order_number="ZQCG-SOON-1", school_id=world.school.id, supplier_id=world.supplier.id,
        delivery_date=today() + timedelta(days=1),
        lines=[OrderLineIn(line_number=1, product_id=world.product.id, quantity=Decimal("30"), unit="kg",
                           unit_price_fen=500)]))
    session.commit()

    ahead = staff.get("/canteen/deliveries").text.split("近几天")[1]

    assert "ZQCG-SOON-1" in ahead and "待发货" in ahead
    assert 'class="problem"' not in ahead


def test_a_rapid_tests_verdict_reads_in_the_pages_language(staff, session, people):
    """阴性, not the stored code word "negative" (domain.md §4.2: a rapid test is never 合格)."""
    world = people.world
    shipment = world.ship(session, "10")
    inspection_service.test_result_record(session, actor=Actor.of(world.staff), batch_id=world.batch.id,
                                          school_id=world.school.id, kind="pesticide_enzyme_inhibition",
                                          value=Decimal("12"), tested_at=utcnow())
    session.commit()

    tests = staff.get(f"/canteen/shipments/{shipment.id}").text.split("检测结果")[1]

    assert "阴性" in tests and "negative" not in tests
