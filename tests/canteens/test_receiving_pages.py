"""The receiving pages as a browser sees them: scan a lot, fill the check, a second person confirms it
with their own credentials on the same phone (or signed in on their own), and refusals read as messages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from canteens import service as canteen_service
from canteens.models import CheckStatus, ReceiptCheck
from tests.factories import make_person
from tests.helpers import TEST_PASSWORD, form_token, sign_in
from tests.web.work_world import world_with_people
from trace.models import CustodyEvent, Role, SignInFailure

SECOND = "shitang2"


@pytest.fixture
def people(session):
    people = world_with_people(session)
    make_person(session, Role.canteen_staff, username=SECOND, school_id=people.world.school.id,
                display_name="食堂 刘示例")
    session.commit()
    return people


@pytest.fixture
def staff(client, people):
    sign_in(client, people.canteen)
    return client


def _open(staff, session, people, **form):
    """Scan the world's lot and submit the check form with ``form`` over the page's own values."""
    world = people.world
    page = staff.get("/canteen/receive", params={"code": world.batch.lot_code}).text
    fields = {"csrf_token": form_token(page), "shipment_id": re.search(r'name="shipment_id" value="(\d+)"', page)[1],
              "unit": "kg", "receipt_date": re.search(r'name="receipt_date" value="([\d-]+)"', page)[1],
              "accepted_quantity": re.search(r'name="accepted_quantity"[^>]*value="([^"]*)"', page)[1],
              "certificates_checked": ["检验报告"]}
    fields.update(form)
    return staff.post("/canteen/receipt-checks", data=fields, follow_redirects=False)


def test_the_receive_page_has_a_scan_field_and_lists_what_is_expected_today(staff, session, people):
    world = people.world
    shipment = world.ship(session, "40")
    session.commit()

    page = staff.get("/canteen/receive").text

    assert re.search(r'<form class="scan card" method="get" action="/canteen/receive">', page)
    assert re.search(r'<input id="code" name="code"[^>]*data-scan autofocus', page)
    assert world.product.name in page and f'href="/canteen/receive?shipment={shipment.id}"' in page
    assert "今日应到" in page


def test_a_scanned_lot_shows_the_shipment_against_its_order_line_and_the_check_form(staff, session, people):
    world = people.world
    world.ship(session, "40")
    session.commit()

    page = staff.get("/canteen/receive", params={"code": world.batch.lot_code}).text

    assert world.supplier.name in page and world.batch.lot_code in page
    assert "1000 kg" in page and "40 kg" in page  # ordered, shipped
    assert 'data-offline="receipt-check"' in page
    for name in ("shipment_id", "accepted_quantity", "rejected_quantity", "unit", "rejection_reason",
                 "rejected_disposal", "certificates_checked", "receipt_date"):
        assert f'name="{name}"' in page, name
    assert 'value="检验报告"' in page  # the paper on file, to tick


def test_a_refused_scan_reads_as_a_message_and_records_nothing(staff, session, people):
    before = session.scalar(select(func.count()).select_from(CustodyEvent))

    page = staff.get("/canteen/receive", params={"code": "NOSUCHLOT1"})

    assert page.status_code == 404 and "没有找到批号 NOSUCHLOT1 的批次" in page.text
    assert 'role="alert"' in page.text and page.headers["content-type"].startswith("text/html")
    assert session.scalar(select(func.count()).select_from(CustodyEvent)) == before


def test_the_first_checker_submits_and_the_check_awaits_the_second(staff, session, people):
    people.world.ship(session, "40")
    session.commit()

    posted = _open(staff, session, people)

    assert posted.status_code == 303
    page = staff.get(posted.headers["location"]).text
    assert "待第二人复核" in page and 'name="username"' in page and 'name="password"' in page
    assert "我也已查验，确认验收" not in page  # the first checker does not confirm their own check


def test_the_second_checker_confirms_with_their_credentials_on_the_same_phone(staff, session, people):
    people.world.ship(session, "40")
    session.commit()
    location = _open(staff, session, people).headers["location"]
    page = staff.get(location).text

    confirmed = staff.post(f"{location}/confirm", data={"csrf_token": form_token(page), "username": SECOND,
                                                         "password": TEST_PASSWORD}, follow_redirects=False)

    assert confirmed.status_code == 303
    after = staff.get(location).text
    assert "验收已记录" in after and "食堂 王示例" in after and "食堂 刘示例" in after
    assert canteen_service.receipts_of_school(session, people.world.school.id)[0].accepted_quantity == 40


def test_a_wrong_password_of_the_second_checker_is_refused_and_counted(staff, session, people):
    people.world.ship(session, "40")
    session.commit()
    location = _open(staff, session, people).headers["location"]
    token = form_token(staff.get(location).text)

    page = staff.post(f"{location}/confirm", data={"csrf_token": token, "username": SECOND, "password": "wrong-one"})

    assert page.status_code == 401 and "用户名或密码不正确" in page.text
    assert session.scalar(select(func.count()).select_from(SignInFailure)) == 2  # the account and the address
    assert canteen_service.receipts_of_school(session, people.world.school.id) == []


def test_the_first_checkers_own_credentials_do_not_confirm(staff, session, people):
    people.world.ship(session, "40")
    session.commit()
    location = _open(staff, session, people).headers["location"]
    token = form_token(staff.get(location).text)

    page = staff.post(f"{location}/confirm", data={"csrf_token": token, "username": people.canteen,
                                                    "password": TEST_PASSWORD})

    assert page.status_code == 403 and "开单人不能自己确认" in page.text


def test_a_second_staff_member_signed_in_on_their_own_phone_confirms_from_the_deliveries_page(
        client, session, people):
    people.world.ship(session, "40")
    session.commit()
    sign_in(client, people.canteen)
    location = _open(client, session, people).headers["location"]
    client.post("/signout", data={"csrf_token": form_token(client.get(location).text)})
    sign_in(client, SECOND)

    deliveries = client.get("/canteen/deliveries").text
    assert "待第二人复核" in deliveries and f'href="{location}"' in deliveries
    page = client.get(location).text
    confirmed = client.post(f"{location}/confirm", data={"csrf_token": form_token(page)}, follow_redirects=False)

    assert confirmed.status_code == 303
    session.expire_all()
    assert session.execute(select(ReceiptCheck)).scalar_one().status == CheckStatus.confirmed


def test_a_refused_check_comes_back_on_the_form_with_its_message(staff, session, people):
    people.world.ship(session, "40")
    session.commit()

    page = _open(staff, session, people, accepted_quantity="30", rejected_quantity="10", rejection_reason="包装破损")

    assert page.status_code == 422 and "拒收的货物须注明当场退回还是销毁" in page.text
    assert ">包装破损</textarea>" in page.text  # what was typed stays on the form
    assert session.scalar(select(func.count()).select_from(ReceiptCheck)) == 0


def test_a_check_may_be_withdrawn_with_a_reason(staff, session, people):
    people.world.ship(session, "40")
    session.commit()
    location = _open(staff, session, people).headers["location"]
    token = form_token(staff.get(location).text)

    staff.post(f"{location}/withdraw", data={"csrf_token": token, "reason": "数量点错"})

    assert "已撤回" in staff.get(location).text
