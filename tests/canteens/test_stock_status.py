"""A school's stock says, per lot, whether it is held or recalled and how long it keeps:
held or recalled stock is still on hand, but never shown as usable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from canteens import api as canteen_api
from canteens import service as canteen_service
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from tests.factories import bearer, days_ago, make_batch, make_user, make_world, today
from tests.helpers import assert_refused
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def lots(session, world):
    """Three lots received at the school: one active, one held, one recalled."""
    supplier_actor = world.actor(world.supplier_user)
    held = make_batch(session, world.supplier, world.product, supplier_actor)
    recalled = make_batch(session, world.supplier, world.product, supplier_actor)
    for batch in (world.batch, held, recalled):
        world.receive(session, world.ship(session, "20", batch_id=batch.id), "20")
    inspector = world.actor(world.inspector)
    inspection_service.batch_change_status(session, actor=inspector, batch_id=held.id, action="hold", reason="待检")
    inspection_service.batch_change_status(session, actor=inspector, batch_id=recalled.id, action="recall",
                                           reason="抽检不合格")
    session.commit()
    return {"active": world.batch, "on_hold": held, "recalled": recalled}


def _stock(client, session, user, school_id, **params):
    response = client.get(f"/api/v1/schools/{school_id}/stock", params=params, headers=bearer(session, user))
    assert response.status_code == 200, response.text
    return {row["batch_id"]: row for row in response.json()}


def test_each_lot_in_stock_carries_its_status(client, session, world, lots):
    stock = _stock(client, session, world.inspector, world.school.id)

    assert {batch_id: row["status"] for batch_id, row in stock.items()} == {
        batch.id: status for status, batch in lots.items()}


def test_held_and_recalled_stock_is_on_hand_but_not_usable(client, session, world, lots):
    stock = _stock(client, session, world.staff, world.school.id)

    assert {status: (stock[batch.id]["on_hand"], stock[batch.id]["usable"]) for status, batch in lots.items()} == {
        "active": ("20.000", True), "on_hold": ("20.000", False), "recalled": ("20.000", False)}


def test_stock_names_each_lot_as_its_label_does(client, session, world, lots):
    row = _stock(client, session, world.staff, world.school.id)[world.batch.id]

    assert (row["lot_code"], row["gtin"], row["product_id"], row["supplier_id"]) == (
        world.batch.lot_code, world.batch.gtin, world.product.id, world.supplier.id)


def test_stock_can_be_narrowed_to_held_and_recalled_lots(client, session, world, lots):
    stock = _stock(client, session, world.inspector, world.school.id, status=["on_hold", "recalled"])

    assert sorted(stock) == sorted([lots["on_hold"].id, lots["recalled"].id])


def test_an_unknown_status_is_invalid_input(client, session, world):
    response = client.get(f"/api/v1/schools/{world.school.id}/stock", params={"status": "destroyed"},
                          headers=bearer(session, world.inspector))

    assert_refused(response, 422, "invalid_request")


def test_a_lot_released_from_hold_is_usable_again(client, session, world, lots):
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=lots["on_hold"].id,
                                           action="release", reason="复检合格")
    session.commit()

    row = _stock(client, session, world.staff, world.school.id)[lots["on_hold"].id]
    assert (row["status"], row["usable"]) == ("active", True)


def test_stock_counts_the_days_to_expiry(client, session, world, lots):
    row = _stock(client, session, world.staff, world.school.id)[world.batch.id]

    assert row["expiry_date"] == world.batch.expiry_date.isoformat()
    assert row["days_to_expiry"] == (world.batch.expiry_date - today()).days


def test_a_lot_is_usable_on_its_expiry_day_and_not_after(client, session, world, monkeypatch):
    world.receive(session, world.ship(session, "20", ship_date=days_ago(1)), "20", receipt_date=days_ago(1))
    session.commit()
    expiry = world.batch.expiry_date

    monkeypatch.setattr(canteen_api, "local_today", lambda: expiry)
    on_the_day = _stock(client, session, world.staff, world.school.id)[world.batch.id]
    monkeypatch.setattr(canteen_api, "local_today", lambda: expiry + timedelta(days=1))
    the_day_after = _stock(client, session, world.staff, world.school.id)[world.batch.id]

    assert (on_the_day["days_to_expiry"], on_the_day["usable"]) == (0, True)
    assert (the_day_after["days_to_expiry"], the_day_after["usable"]) == (-1, False)


def test_a_recalled_lot_already_used_up_shows_only_with_include_empty(client, session, world):
    world.receive(session, world.ship(session, "5"), "5")
    canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("5"), unit="kg", use_date=today(), meal="lunch"))
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="recall", reason="抽检不合格")
    session.commit()

    assert _stock(client, session, world.inspector, world.school.id, status="recalled") == {}
    everything = _stock(client, session, world.inspector, world.school.id, status="recalled", include_empty=True)
    assert (everything[world.batch.id]["status"], everything[world.batch.id]["on_hand"]) == ("recalled", "0.000")


def test_a_supplier_cannot_read_a_schools_stock(client, session, world, lots):
    response = client.get(f"/api/v1/schools/{world.school.id}/stock", headers=bearer(session, world.supplier_user))

    assert_refused(response, 403, "stock_not_visible")


def test_canteen_staff_cannot_read_another_schools_stock_status(client, session, world, lots):
    other = make_user(session, Role.canteen_staff, school_id=make_world(session).school.id)
    response = client.get(f"/api/v1/schools/{world.school.id}/stock", params={"status": "recalled"},
                          headers=bearer(session, other))

    assert_refused(response, 403, "not_your_school")
