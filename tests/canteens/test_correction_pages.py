"""The canteen's pages to correct a receipt or a use: the record with its chain of corrections, a form for
the whole new quantities and the reason, and refusals on the form in the page's language, never raw JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canteens import corrections
from canteens import service as canteen_service
from canteens.correction_schemas import ReceiptCorrection
from canteens.models import Meal
from canteens.schemas import UseCreate
from tests.factories import make_person, make_school, today
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace.custody import Actor
from trace.models import Role


@pytest.fixture
def people(session):
    return world_with_people(session)


@pytest.fixture
def staff(client, people):
    sign_in(client, people.canteen)
    return client


@pytest.fixture
def receipt(session, people):
    world = people.world
    receipt = world.receive(session, world.ship(session, "40"), "40")
    session.commit()
    return receipt


def test_the_shipment_page_links_each_receipt_to_its_correction_form(staff, receipt):
    page = staff.get(f"/canteen/shipments/{receipt.shipment_id}")

    assert f'href="/canteen/receipts/{receipt.id}/correct"' in page.text and "更正" in page.text


def test_correcting_a_receipt_on_the_form_shows_both_records(staff, session, people, receipt):
    form = staff.get(f"/canteen/receipts/{receipt.id}/correct")
    assert form.status_code == 200 and "更正验收记录" in form.text and 'value="40"' in form.text

    posted = staff.post(f"/canteen/receipts/{receipt.id}/correct",
                        data={"accepted": "36", "rejected": "4", "rejection_reason": "四袋受潮",
                              "reason": "验收时漏记受潮的四袋", "csrf_token": form_token(form.text)},
                        follow_redirects=False)

    assert posted.status_code == 303
    newer = canteen_service.receipts_of_school(session, people.world.school.id)[-1]
    assert posted.headers["location"] == f"/canteen/receipts/{newer.id}/correct?done=1"
    shown = staff.get(posted.headers["location"]).text
    assert "更正已记录" in shown and "已更正" in shown and "更正记录" in shown
    assert "40 kg" in shown and "36 kg" in shown and "验收时漏记受潮的四袋" in shown
    shipment = staff.get(f"/canteen/shipments/{receipt.shipment_id}").text
    assert "已更正" in shipment and f'href="/canteen/receipts/{newer.id}/correct"' in shipment
    assert "部分验收" in shipment  # the state counts the newest record: 36 accepted, 4 rejected


def test_a_refused_correction_comes_back_on_the_form_in_chinese_and_english(staff, session, people, receipt):
    token = form_token(staff.get(f"/canteen/receipts/{receipt.id}/correct").text)
    page = staff.post(f"/canteen/receipts/{receipt.id}/correct",
                      data={"accepted": "40", "rejected": "0", "reason": "没变", "csrf_token": token})
    assert page.status_code == 422 and "无需更正" in page.text and page.headers["content-type"].startswith("text/html")

    token = form_token(staff.get(f"/canteen/receipts/{receipt.id}/correct?lang=en").text)
    page = staff.post(f"/canteen/receipts/{receipt.id}/correct",
                      data={"accepted": "30", "rejected": "0", "reason": "", "csrf_token": token})
    assert page.status_code == 422 and "Give the reason for the correction" in page.text
    assert 'value="30"' in page.text  # what was typed stays in the form


def test_a_corrected_receipts_page_points_to_the_newest_record(staff, session, people, receipt):
    newer = corrections.receipt_correct(session, actor=Actor.of(people.world.staff), receipt_id=receipt.id,
                                        data=ReceiptCorrection(accepted_quantity=Decimal(35), rejected_quantity=0,
                                                               unit="kg", reason="点错"))
    session.commit()

    page = staff.get(f"/canteen/receipts/{receipt.id}/correct").text

    assert "这条记录已经被更正过" in page and f'href="/canteen/receipts/{newer.id}/correct"' in page
    assert f'action="/canteen/receipts/{receipt.id}/correct"' not in page


def test_another_schools_receipt_is_not_found(client, session, people, receipt):
    make_person(session, Role.canteen_staff, username="other-staff", school_id=make_school(session).id)
    session.commit()
    sign_in(client, "other-staff")

    assert client.get(f"/canteen/receipts/{receipt.id}/correct").status_code == 404


def test_correcting_a_use_on_the_form(staff, session, people, receipt):
    world = people.world
    use = canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("12.5"), unit="kg", use_date=today(), meal=Meal.lunch, dish="米饭"))
    session.commit()
    listed = staff.get("/canteen/uses")
    assert f'href="/canteen/uses/{use.id}/correct"' in listed.text

    form = staff.get(f"/canteen/uses/{use.id}/correct")
    assert "更正出库记录" in form.text and "午餐" in form.text
    posted = staff.post(f"/canteen/uses/{use.id}/correct",
                        data={"quantity": "0", "reason": "记错批次，实际未使用", "csrf_token": form_token(form.text)},
                        follow_redirects=False)

    assert posted.status_code == 303
    day = staff.get(f"/canteen/uses?day={today().isoformat()}").text
    assert "已更正" in day and "更正记录" in day
    assert canteen_service.stock_of_school(session, world.school.id)[0].used_quantity == 0


def test_a_use_correction_beyond_the_stock_is_refused_on_the_form(staff, session, people, receipt):
    world = people.world
    use = canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("10"), unit="kg", use_date=today(), meal=Meal.lunch))
    session.commit()
    token = form_token(staff.get(f"/canteen/uses/{use.id}/correct").text)

    page = staff.post(f"/canteen/uses/{use.id}/correct", data={"quantity": "50", "reason": "多领", "csrf_token": token})

    assert page.status_code == 409 and "超过库存" in page.text


def test_the_inspectors_batch_page_shows_both_receipts_and_links_the_events(client, session, people, receipt):
    newer = corrections.receipt_correct(session, actor=Actor.of(people.world.staff), receipt_id=receipt.id,
                                        data=ReceiptCorrection(accepted_quantity=Decimal(30), rejected_quantity=10,
                                                               unit="kg", rejection_reason="破损",
                                                               reason="少记拒收"))
    session.commit()
    sign_in(client, people.inspector)

    page = client.get(f"/inspect/batches/{people.world.batch.id}").text

    assert "已更正" in page and "更正记录" in page and "少记拒收" in page
    assert f'id="event-{newer.event_id}"' in page and f'href="#event-{receipt.event_id}"' in page
    assert f'href="#event-{newer.event_id}"' in page
    assert "原为 40" in page
