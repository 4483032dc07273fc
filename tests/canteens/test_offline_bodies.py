"""The bodies a phone queues offline, as it sends them, applied once or refused and kept (issue 12 §6).

``static/offline.js`` sends a form's fields as they are: every value a string, an untouched field an
empty string, a repeated name (the papers ticked, the re-test readings) a list. A receiving check
queued at the door opens the first checker's check (a second staff member confirms it online); a
use into a meal may name its lot by the code typed or scanned, as the meal's page does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from canteens import device_sync, receipt_checks
from canteens.models import CheckStatus, KitchenUse, Receipt, ReceiptCheck, Stock
from inspections import service as inspection_service
from suppliers import service as supplier_service
from tests.canteens.meal_steps import open_meal, stocked
from tests.factories import NEGATIVE_READINGS, bearer, make_batch, make_order_line, make_product, make_world
from trace.custody import Actor
from trace.db import utcnow
from trace.digital_link import build_digital_link

CHINA = timezone(timedelta(hours=8))


def operation(kind: str, body: dict, *, minutes_ago: int = 15, **extra) -> dict:
    occurred = (utcnow() - timedelta(minutes=minutes_ago)).astimezone(CHINA)
    return {"client_operation_id": str(uuid.uuid4()), "kind": kind, "body": body,
            "device_occurred_at": occurred.isoformat(), **extra}


def sync(client, headers, *operations) -> list[dict]:
    response = client.post("/api/v1/sync/operations", json={"operations": list(operations)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


# --- a receiving check queued at the door -----------------------------------------------------------


@pytest.fixture
def door(session):
    """A world whose school expects 40 kg of the world's lot today."""
    world = make_world(session)
    shipment = world.ship(session, "40")
    session.commit()
    return world, shipment


def door_body(session, world, shipment, **fields) -> dict:
    """The receiving form as offline.js sends it: strings, untouched fields empty, papers a list."""
    papers = [c.kind for c in supplier_service.certificates_of(session, world.batch.id)]
    reading = NEGATIVE_READINGS.get(world.product.rapid_test)
    body = {"shipment_id": str(shipment.id), "unit": "kg", "certificates_checked": papers,
            "arrival_temperature_celsius": "", "rapid_test_value": f"{reading}" if reading else "",
            "rapid_test_retests": ["", ""], "accepted_quantity": "38", "rejected_quantity": "2",
            "rejection_reason": "两袋包装破损", "rejected_disposal": "returned"}
    body.update(fields)
    session.rollback()  # the read ends: SQLite lets the server write
    return body


def checks_of(session, world) -> list[ReceiptCheck]:
    session.expire_all()
    return list(session.execute(select(ReceiptCheck).where(ReceiptCheck.school_id == world.school.id)).scalars())


def test_a_queued_receiving_check_opens_once_as_the_first_checkers_on_the_devices_day(client, session, door):
    world, shipment = door
    queued = operation("receipt-check", door_body(session, world, shipment), minutes_ago=30)
    headers = bearer(session, world.staff)

    [first] = sync(client, headers, queued)
    [again] = sync(client, headers, queued)

    [check] = checks_of(session, world)
    assert first["status"] == "applied" and first["record"] == {"type": "receipt_check", "id": check.id}
    assert again["already_known"] is True and again["record"] == first["record"]
    assert check.status == CheckStatus.open and check.opened_by == world.staff.id
    assert check.accepted_quantity == Decimal("38") and check.rejected_disposal == "returned"
    assert check.arrival_temperature_celsius is None  # an untouched field is no reading
    assert abs(check.opened_at - (utcnow() - timedelta(minutes=30))) < timedelta(minutes=1)
    assert check.receipt_date == receipt_checks.local_today()
    assert session.execute(select(Receipt)).first() is None  # nothing counts before the second checker


def test_a_lone_ticked_paper_sent_as_one_string_is_a_list_of_one(client, session, door):
    world, shipment = door
    papers = [c.kind for c in supplier_service.certificates_of(session, world.batch.id)]
    body = door_body(session, world, shipment, certificates_checked=papers[0], rapid_test_retests="")

    [result] = sync(client, bearer(session, world.staff), operation("receipt-check", body))

    assert result["status"] == "applied", result
    [check] = checks_of(session, world)
    assert papers[0] in check.certificates_checked


def test_the_second_checker_confirms_a_synced_check_online_and_the_receipt_counts_once(client, session, door):
    world, shipment = door
    queued = operation("receipt-check", door_body(session, world, shipment))
    [result] = sync(client, bearer(session, world.staff), queued)

    confirmed = client.post(f"/api/v1/receipt-checks/{result['record']['id']}/confirm",
                            headers=bearer(session, world.staff2))

    assert confirmed.status_code in (200, 201), confirmed.text
    session.expire_all()
    stock = session.execute(select(Stock).where(Stock.school_id == world.school.id)).scalar_one()
    assert stock.on_hand == Decimal("38.000")
    assert len(session.execute(select(Receipt)).all()) == 1


def test_a_queued_check_of_a_lot_held_while_the_phone_was_offline_is_refused_and_kept(client, session, door):
    world, shipment = door
    queued = operation("receipt-check", door_body(session, world, shipment))
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="农残快检阳性，待复检")
    session.commit()

    [result] = sync(client, bearer(session, world.staff), queued)

    assert result["status"] == "refused" and result["refusal"]["code"] == "batch_on_hold"
    assert checks_of(session, world) == []
    [kept] = device_sync.refusals_of_school(session, world.school.id)
    [view] = device_sync.operation_views(session, [kept])
    assert view.batch.id == world.batch.id  # the sync page names the lot of the delivery


def test_a_queued_check_of_a_delivery_another_staff_member_checked_first_is_refused_and_kept(client, session, door):
    world, shipment = door
    queued = operation("receipt-check", door_body(session, world, shipment))
    world.open_check(session, shipment, "40", by=world.staff2)
    session.commit()

    [result] = sync(client, bearer(session, world.staff), queued)

    assert result["status"] == "refused" and result["refusal"]["code"] == "receipt_check_already_open"
    assert len(checks_of(session, world)) == 1
    assert device_sync.refusals_waiting(session, world.school.id) == 1


# --- a use into a meal named by its lot code ------------------------------------------------------


@pytest.fixture
def kitchen(session):
    world = stocked(session, make_world(session), "200")
    return world, open_meal(session, world)


def uses_of(session, world) -> list[KitchenUse]:
    session.expire_all()
    return list(session.execute(select(KitchenUse).where(KitchenUse.school_id == world.school.id)).scalars())


def meal_body(**fields) -> dict:
    """The meal's 出库 form as offline.js sends it: the pick list untouched, the code typed."""
    body = {"lot_code": "", "batch_id": "", "quantity": "12.5", "unit": "kg", "dish": "米饭"}
    body.update(fields)
    return body


def test_a_queued_meal_use_by_typed_lot_code_is_applied_once_to_the_lot_in_stock(client, session, kitchen):
    world, meal = kitchen
    queued = operation("meal-use", meal_body(lot_code=world.batch.lot_code.lower(), unit=""), meal_id=meal.id)
    headers = bearer(session, world.staff)

    [first] = sync(client, headers, queued)
    [again] = sync(client, headers, queued)

    [use] = uses_of(session, world)
    assert first["status"] == "applied" and again["already_known"] is True
    assert use.batch_id == world.batch.id and use.quantity == Decimal("12.500") and use.unit == "kg"
    assert use.meal == meal.meal and use.dish == "米饭"


def test_a_queued_meal_use_by_the_labels_digital_link_finds_its_lot(client, session, kitchen):
    world, meal = kitchen
    link = build_digital_link("https://id.example.cn", world.batch.gtin, world.batch.lot_code)

    [result] = sync(client, bearer(session, world.staff), operation("meal-use", meal_body(lot_code=link),
                                                                    meal_id=meal.id))

    assert result["status"] == "applied", result
    assert [u.batch_id for u in uses_of(session, world)] == [world.batch.id]


def test_a_queued_meal_use_by_the_pick_list_still_works_with_the_code_left_empty(client, session, kitchen):
    world, meal = kitchen

    [result] = sync(client, bearer(session, world.staff), operation(
        "meal-use", meal_body(batch_id=str(world.batch.id), dish=""), meal_id=meal.id))

    assert result["status"] == "applied", result
    [use] = uses_of(session, world)
    assert use.dish == ""


def test_a_queued_meal_use_of_a_code_not_in_stock_is_refused_and_kept(client, session, kitchen):
    world, meal = kitchen

    [result] = sync(client, bearer(session, world.staff), operation("meal-use", meal_body(lot_code="NOSUCH1"),
                                                                    meal_id=meal.id))

    assert result["status"] == "refused" and result["refusal"]["code"] == "lot_not_in_stock"
    assert uses_of(session, world) == []
    [kept] = device_sync.refusals_of_school(session, world.school.id)
    assert device_sync.operation_body(kept)["lot_code"] == "NOSUCH1"


def test_a_queued_meal_use_of_a_code_two_lots_in_stock_carry_is_refused_as_ambiguous(client, session, kitchen):
    world, meal = kitchen
    other = make_product(session, name="面粉")
    twin = make_batch(session, world.supplier, other, Actor.of(world.supplier_user), lot_code=world.batch.lot_code)
    shipment = world.ship(session, "20", batch_id=twin.id,
                          order_line_id=make_order_line(session, world.school, world.supplier, other).id)
    world.receive(session, shipment, "20")
    session.commit()

    [result] = sync(client, bearer(session, world.staff), operation(
        "meal-use", meal_body(lot_code=world.batch.lot_code), meal_id=meal.id))

    assert result["status"] == "refused" and result["refusal"]["code"] == "lot_code_ambiguous"
    assert uses_of(session, world) == []


def test_a_queued_meal_use_naming_no_lot_or_no_quantity_is_refused_as_incomplete(client, session, kitchen):
    world, meal = kitchen

    results = sync(client, bearer(session, world.staff),
                   operation("meal-use", meal_body(), meal_id=meal.id),
                   operation("meal-use", meal_body(lot_code=world.batch.lot_code, quantity=""), meal_id=meal.id))

    assert [r["refusal"]["code"] for r in results] == ["operation_body_invalid"] * 2
    assert device_sync.refusals_waiting(session, world.school.id) == 2


def test_an_empty_field_of_a_queued_kitchen_use_is_absent(client, session, kitchen):
    world, _meal = kitchen
    body = {"batch_id": str(world.batch.id), "quantity": "3", "meal": "lunch", "dish": "", "unit": "",
            "use_date": ""}

    [result] = sync(client, bearer(session, world.staff), operation("use", body))

    assert result["status"] == "applied", result
    [use] = uses_of(session, world)
    assert use.unit == "kg" and use.dish == ""
