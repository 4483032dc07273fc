"""The forward trace (the recall list) states what each canteen refused at the door, and
adds every column up: shipped = in transit + received + rejected, per canteen and in total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canteens import service as canteen_service
from canteens.schemas import UseCreate
from tests.factories import (
    bearer,
    check_fields,
    make_order_line,
    make_school,
    make_supplier,
    make_user,
    make_world,
    receive_checked,
    today,
)
from tests.helpers import assert_refused
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def two_canteens(session, world):
    """The world's school: 100 shipped, 70 accepted, 20 rejected, 10 not yet counted.
    A second school: 50 shipped, all rejected (so it holds no stock of the batch)."""
    world.receive(session, world.ship(session, "100"), "70", "20", rejection_reason="包装破损")
    second = make_school(session)
    line = make_order_line(session, second, world.supplier, world.product)
    shipment = world.ship(session, "50", order_line_id=line.id)
    receive_checked(session, world.admin, make_user(session, Role.canteen_staff, school_id=second.id), check_fields(
        session, shipment, "0", "50", rejection_reason="霉变", rejected_disposal="destroyed"))
    canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("5"), unit="kg", use_date=today(), meal="lunch"))
    session.commit()
    return world.school, second


def _forward(client, session, user, batch_id):
    return client.get(f"/api/v1/batches/{batch_id}/trace/forward", headers=bearer(session, user))


COLUMNS = ("shipped_quantity", "in_transit_quantity", "received_quantity", "rejected_quantity", "used_quantity",
           "on_hand_quantity")


def _columns(row):
    return tuple(row[name] for name in COLUMNS)


def test_each_canteen_shows_what_it_rejected(client, session, world, two_canteens):
    first, second = two_canteens
    destinations = {d["school_id"]: d for d in _forward(client, session, world.inspector, world.batch.id).json()[
        "destinations"]}

    assert _columns(destinations[first.id]) == ("100.000", "10.000", "70.000", "20.000", "5.000", "65.000")
    assert _columns(destinations[second.id]) == ("50.000", "0.000", "0.000", "50.000", "0.000", "0.000")


def test_what_was_shipped_is_in_transit_received_or_rejected_at_each_canteen(client, session, world, two_canteens):
    for row in _forward(client, session, world.inspector, world.batch.id).json()["destinations"]:
        shipped, in_transit, received, rejected = (Decimal(row[name]) for name in COLUMNS[:4])
        assert shipped == in_transit + received + rejected, row


def test_the_totals_add_up_every_canteen(client, session, world, two_canteens):
    totals = _forward(client, session, world.inspector, world.batch.id).json()["totals"]

    assert _columns(totals) == ("150.000", "10.000", "70.000", "70.000", "5.000", "65.000")


def test_a_batch_never_shipped_has_no_destinations_and_zero_totals(client, session, world):
    body = _forward(client, session, world.inspector, world.batch.id).json()

    assert body["destinations"] == []
    assert _columns(body["totals"]) == ("0.000",) * len(COLUMNS)


@pytest.mark.parametrize("who", ["inspector", "admin", "supplier_user"])
def test_the_rejected_quantity_is_read_by_everyone_who_may_trace_forward(client, session, world, two_canteens, who):
    response = _forward(client, session, getattr(world, who), world.batch.id)

    assert response.status_code == 200, response.text
    assert response.json()["totals"]["rejected_quantity"] == "70.000"


def test_another_supplier_cannot_trace_the_batch_forward(client, session, world, two_canteens):
    intruder = make_user(session, Role.supplier, supplier_id=make_supplier(session).id)

    assert_refused(_forward(client, session, intruder, world.batch.id), 403, "batch_not_visible")


def test_canteen_staff_cannot_see_where_else_the_batch_went(client, session, world, two_canteens):
    assert_refused(_forward(client, session, world.staff, world.batch.id), 403, "forward_trace_not_allowed")


def test_the_forward_trace_of_a_batch_that_does_not_exist_is_not_found(client, session, world):
    assert_refused(_forward(client, session, world.inspector, 999), 404, "batch_not_found")
