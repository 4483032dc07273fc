"""Mock-recall drills (模拟召回演练): the recall list of any batch, timed and kept, changing nothing.

The list is every school the batch was shipped to. A school that rejected all of it at the door
is listed (received 0, rejected everything, nothing on hand): the batch reached that door. A
corrected receipt counts as its latest correction says.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from canteens import corrections, meals
from canteens.correction_schemas import ReceiptCorrection
from canteens.models import Meal, Stock
from suppliers import service as supplier_service
from tests.factories import (
    bearer,
    check_fields,
    make_order_line,
    make_person,
    make_school,
    make_user,
    make_world,
    receive_checked,
    today,
)
from tests.helpers import form_token, sign_in
from trace.custody import Actor, events_for_batch
from trace.models import Role
from web import drills


def _school_with_staff(session, world):
    school = make_school(session)
    line = make_order_line(session, school, world.supplier, world.product)
    staff = [make_user(session, Role.canteen_staff, school_id=school.id) for _ in range(2)]
    return school, line, staff


@pytest.fixture
def district(session):
    """One batch sent to three schools: the first accepted 100 kg, used 20 kg and corrected its receipt
    to 90 accepted and 10 rejected; the second rejected all 50 kg; the third's 40 kg is on the road.
    Another batch went to a fourth school and is no part of the list."""
    world = make_world(session)
    receipt = world.receive(session, world.ship(session, "100"), "100")
    meal = meals.meal_get_or_create(session, actor=world.actor(world.staff), meal_date=today(), meal=Meal.lunch,
                                    dishes=["米饭"])
    meals.meal_use(session, actor=world.actor(world.staff), meal_id=meal.id, batch_id=world.batch.id,
                   quantity=Decimal("20"), unit="kg", dish="米饭")
    corrections.receipt_correct(session, actor=world.actor(world.staff), receipt_id=receipt.id, data=ReceiptCorrection(
        accepted_quantity=Decimal("90"), rejected_quantity=Decimal("10"), unit="kg", rejection_reason="两袋破损",
        reason="验收时少记了两袋破损"))
    rejecting, line, (staff, staff2) = _school_with_staff(session, world)
    shipment = world.ship(session, "50", order_line_id=line.id)
    receive_checked(session, staff, staff2, check_fields(session, shipment, "0", "50", rejection_reason="腐烂"))
    waiting, line, _ = _school_with_staff(session, world)
    world.ship(session, "40", order_line_id=line.id)
    session.commit()
    return world, rejecting, waiting


def _on_hand(session, world) -> Decimal:
    return session.execute(select(Stock).where(Stock.batch_id == world.batch.id,
                                               Stock.school_id == world.school.id)).scalar_one().on_hand


def _by_school(drill):
    return {row["school_id"]: row for row in drills.drill_rows(drill)}


def test_a_drill_lists_exactly_the_schools_the_batch_was_shipped_to_with_their_quantities(session, district):
    world, rejecting, waiting = district

    drill = drills.drill_run(session, actor=Actor.of(world.inspector), batch_id=world.batch.id)

    rows = _by_school(drill)
    assert set(rows) == {world.school.id, rejecting.id, waiting.id} and drill.school_count == 3
    pick = ("shipped_quantity", "received_quantity", "rejected_quantity", "used_quantity", "on_hand_quantity",
            "in_transit_quantity")
    assert [rows[world.school.id][k] for k in pick] == ["100", "90", "10", "20", "70", "0"]  # the correction counts
    assert [rows[rejecting.id][k] for k in pick] == ["50", "0", "50", "0", "0", "0"]  # listed: it reached the door
    assert [rows[waiting.id][k] for k in pick] == ["40", "0", "0", "0", "0", "40"]
    assert drill.unit == "kg" and drill.duration_ms >= 0 and drill.run_by == world.inspector.id


def test_a_drill_changes_nothing_in_custody(session, district):
    world = district[0]
    events_before = len(events_for_batch(session, world.batch.id))
    stock_before = _on_hand(session, world)

    drills.drill_run(session, actor=Actor.of(world.inspector), batch_id=world.batch.id)
    session.commit()
    session.expire_all()

    assert len(events_for_batch(session, world.batch.id)) == events_before
    assert supplier_service.batch_get(session, world.batch.id).status.value == "active"
    assert _on_hand(session, world) == stock_before


def test_a_drill_is_kept_with_its_list_as_it_stood(session, district):
    world = district[0]
    drill = drills.drill_run(session, actor=Actor.of(world.inspector), batch_id=world.batch.id)
    session.commit()
    world.receive(session, world.ship(session, "5"), "5")  # later deliveries do not rewrite a filed drill
    session.commit()

    kept = drills.drill_get(session, drill.id)

    assert _by_school(kept)[world.school.id]["received_quantity"] == "90"


def test_the_api_runs_a_drill_and_reads_it_back(client, session, district):
    world = district[0]
    headers = bearer(session, world.inspector)

    made = client.post(f"/api/v1/batches/{world.batch.id}/drills", headers=headers)
    read = client.get(f"/api/v1/drills/{made.json()['id']}", headers=headers)

    assert made.status_code == 201 and read.status_code == 200
    assert read.json()["school_count"] == 3 and len(read.json()["destinations"]) == 3


def test_canteen_staff_and_suppliers_may_not_run_a_drill(client, session, district):
    world = district[0]
    for user in (world.staff, world.supplier_user):
        assert client.post(f"/api/v1/batches/{world.batch.id}/drills", headers=bearer(session, user)).status_code \
            == 403


def test_the_batch_page_runs_a_drill_and_shows_its_printable_report_and_csv(client, session, district):
    world, rejecting, _ = district
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    sign_in(client, "jianguan")
    page = client.get(f"/inspect/batches/{world.batch.id}").text
    assert f'action="/inspect/batches/{world.batch.id}/drills"' in page

    ran = client.post(f"/inspect/batches/{world.batch.id}/drills", data={"csrf_token": form_token(page)},
                      follow_redirects=False)
    assert ran.status_code == 303 and ran.headers["location"].startswith("/inspect/drills/")
    report = client.get(ran.headers["location"])
    assert report.status_code == 200 and "模拟召回报告" in report.text and rejecting.name in report.text
    assert "<script" not in report.text.split("</main>")[0].split("<main")[-1]

    listed = client.get(ran.headers["location"] + "/list.csv")
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(listed.text.lstrip("\ufeff"))))
    assert len(rows) == 4 and rows[0][2] == "学校"


def test_a_drill_page_form_without_its_token_is_refused(client, session, district):
    world = district[0]
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    sign_in(client, "jianguan")

    refused = client.post(f"/inspect/batches/{world.batch.id}/drills", data={}, follow_redirects=False)

    assert refused.status_code == 403 and drills.drills_of_batch(session, world.batch.id) == []
