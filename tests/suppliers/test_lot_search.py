"""Finding batches by the lot code printed on a sack, without knowing the supplier.

Lot codes are unique only per GTIN, so a search answers a list; each role sees only
the batches it may read anyway.
"""

from __future__ import annotations

import pytest

from tests.factories import bearer, make_batch, make_product, make_school, make_supplier, make_user, make_world
from tests.helpers import assert_refused
from trace.custody import Actor
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session, name="东北大米")


@pytest.fixture
def same_lot_elsewhere(session, world):
    """Another supplier's batch of another product, printed with the same lot code."""
    other = make_supplier(session)
    other_user = make_user(session, Role.supplier, supplier_id=other.id)
    batch = make_batch(session, other, make_product(session), Actor.of(other_user), lot_code=world.batch.lot_code)
    session.commit()
    return batch


def _lot_search(client, session, user, lot_code, **params):
    return client.get("/api/v1/batches", params={"lot_code": lot_code, **params}, headers=bearer(session, user))


def test_an_inspector_finds_every_batch_with_a_lot_code_across_suppliers(client, session, world, same_lot_elsewhere):
    response = _lot_search(client, session, world.inspector, world.batch.lot_code)

    assert response.status_code == 200
    assert sorted(b["id"] for b in response.json()) == sorted([world.batch.id, same_lot_elsewhere.id])
    assert {b["lot_code"] for b in response.json()} == {world.batch.lot_code}


def test_an_admin_narrows_a_lot_search_to_one_supplier(client, session, world, same_lot_elsewhere):
    response = _lot_search(client, session, world.admin, world.batch.lot_code, supplier_id=world.supplier.id)

    assert [b["id"] for b in response.json()] == [world.batch.id]


def test_a_lot_code_nobody_registered_finds_an_empty_list(client, session, world):
    response = _lot_search(client, session, world.inspector, "NOSUCHLOT")

    assert response.status_code == 200
    assert response.json() == []


def test_a_lot_search_matches_the_whole_code_and_its_case(client, session, world):
    lot = world.batch.lot_code
    for near_miss in (lot[:-1], lot.lower(), lot + "0"):
        assert _lot_search(client, session, world.inspector, near_miss).json() == [], near_miss


def test_a_supplier_finds_only_its_own_batch_among_those_sharing_a_lot_code(client, session, world,
                                                                             same_lot_elsewhere):
    response = _lot_search(client, session, world.supplier_user, world.batch.lot_code)

    assert [b["id"] for b in response.json()] == [world.batch.id]


def test_a_supplier_cannot_search_another_suppliers_lots(client, session, world, same_lot_elsewhere):
    response = _lot_search(client, session, world.supplier_user, world.batch.lot_code,
                           supplier_id=same_lot_elsewhere.supplier_id)

    assert_refused(response, 403, "not_your_supplier")


def test_canteen_staff_find_a_lot_only_once_it_was_sent_to_their_school(client, session, world):
    assert _lot_search(client, session, world.staff, world.batch.lot_code).json() == []
    world.ship(session, "10")
    session.commit()

    assert [b["id"] for b in _lot_search(client, session, world.staff, world.batch.lot_code).json()] == [world.batch.id]


def test_canteen_staff_do_not_find_a_lot_sent_to_another_school(client, session, world):
    world.ship(session, "10")
    session.commit()
    other_staff = make_user(session, Role.canteen_staff, school_id=make_school(session).id)

    assert _lot_search(client, session, other_staff, world.batch.lot_code).json() == []


@pytest.mark.parametrize("lot_code", ["批号一", "A B", "LOT\u0000", "A" * 21])
def test_a_lot_code_gs1_does_not_allow_is_invalid_input(client, session, world, lot_code):
    response = _lot_search(client, session, world.inspector, lot_code)

    assert response.status_code == 422
    # A control character is refused before the route runs (trace.text_guard), the same on every field.
    assert response.json()["error"]["code"] in ("invalid_lot", "invalid_request", "control_character_in_text")


def test_a_lot_search_is_paged(client, session, world, same_lot_elsewhere):
    first = _lot_search(client, session, world.inspector, world.batch.lot_code, limit=1).json()
    second = _lot_search(client, session, world.inspector, world.batch.lot_code, limit=1, offset=1).json()

    assert len(first) == len(second) == 1
    assert first[0]["id"] != second[0]["id"]


def test_listing_without_a_lot_code_still_needs_a_supplier(client, session, world):
    response = client.get("/api/v1/batches", headers=bearer(session, world.inspector))

    assert_refused(response, 403, "supplier_filter_required")


def test_canteen_staff_still_cannot_list_a_suppliers_batches(client, session, world):
    response = client.get("/api/v1/batches", params={"supplier_id": world.supplier.id},
                          headers=bearer(session, world.staff))

    assert_refused(response, 403, "supplier_filter_required")
