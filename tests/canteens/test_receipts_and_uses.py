"""Reading receipts and kitchen use: one receipt, and a school's receipts and uses by date.

Scoped as every other read: canteen staff their own school, a supplier what it shipped,
inspectors and admins everything. A record that exists but is not the caller's is a 403,
one that does not exist a 404, as for shipments and batches.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from canteens import service as canteen_service
from canteens.schemas import ShipmentCreate, UseCreate
from tests.factories import (
    bearer,
    days_ago,
    make_batch,
    make_order_line,
    make_product,
    make_school,
    make_supplier,
    make_user,
    make_world,
)
from tests.helpers import assert_refused
from trace.custody import Actor
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def receipt(session, world):
    receipt = world.receive(session, world.ship(session, "100", ship_date=days_ago(2)), "90", "10",
                            rejection_reason="包装破损", receipt_date=days_ago(2))
    session.commit()
    return receipt


def _get(client, session, user, path, **params):
    return client.get(f"/api/v1{path}", params=params, headers=bearer(session, user))


def _other_school_staff(session):
    return make_user(session, Role.canteen_staff, school_id=make_school(session).id)


def _other_supplier_user(session):
    return make_user(session, Role.supplier, supplier_id=make_supplier(session).id)


# --- one receipt -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "supplier_user", "inspector", "admin"])
def test_a_receipt_is_read_by_its_school_its_supplier_inspectors_and_admins(client, session, world, receipt, who):
    response = _get(client, session, getattr(world, who), f"/receipts/{receipt.id}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["accepted_quantity"], body["rejected_quantity"]) == (receipt.id, "90.000", "10.000")
    assert body["rejection_reason"] == "包装破损"


def test_a_receipt_that_does_not_exist_is_not_found(client, session, world):
    assert_refused(_get(client, session, world.inspector, "/receipts/999"), 404, "receipt_not_found")


def test_another_schools_receipt_is_not_found_for_canteen_staff(client, session, world, receipt):
    """Ids say nothing about other schools' business: the answer is the one for an id that names nothing."""
    response = _get(client, session, _other_school_staff(session), f"/receipts/{receipt.id}")

    error = assert_refused(response, 404, "receipt_not_found")
    assert error["message"]["en"] == f"Receipt {receipt.id} not found"


def test_the_receipt_of_another_suppliers_shipment_is_not_found_for_a_supplier(client, session, world, receipt):
    response = _get(client, session, _other_supplier_user(session), f"/receipts/{receipt.id}")

    assert_refused(response, 404, "receipt_not_found")


# --- a school's receipts by date ---------------------------------------------------------------


@pytest.fixture
def receipts_by_day(session, world):
    """One receipt on each of the last five days (4 days ago … today), keyed by how many days ago."""
    shipment = world.ship(session, "50", ship_date=days_ago(4))
    receipts = {n: world.receive(session, shipment, "10", receipt_date=days_ago(n)) for n in (4, 3, 2, 1, 0)}
    session.commit()
    return receipts


def _receipt_ids(response):
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()]


def test_a_schools_receipts_are_listed_oldest_first(client, session, world, receipts_by_day):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/receipts")

    assert _receipt_ids(response) == [receipts_by_day[n].id for n in (4, 3, 2, 1, 0)]


def test_a_date_range_includes_both_of_its_days(client, session, world, receipts_by_day):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/receipts",
                    **{"from": days_ago(3).isoformat(), "to": days_ago(1).isoformat()})

    assert _receipt_ids(response) == [receipts_by_day[n].id for n in (3, 2, 1)]


def test_a_range_of_one_day_lists_that_day_only(client, session, world, receipts_by_day):
    day = days_ago(2).isoformat()
    response = _get(client, session, world.staff, f"/schools/{world.school.id}/receipts", **{"from": day, "to": day})

    assert _receipt_ids(response) == [receipts_by_day[2].id]


def test_an_open_ended_range_runs_to_the_end_or_from_the_start(client, session, world, receipts_by_day):
    path = f"/schools/{world.school.id}/receipts"
    since = _get(client, session, world.inspector, path, **{"from": days_ago(1).isoformat()})
    until = _get(client, session, world.inspector, path, to=days_ago(4).isoformat())

    assert _receipt_ids(since) == [receipts_by_day[n].id for n in (1, 0)]
    assert _receipt_ids(until) == [receipts_by_day[4].id]


def test_a_range_that_ends_before_it_starts_is_refused(client, session, world):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/receipts",
                    **{"from": days_ago(1).isoformat(), "to": days_ago(2).isoformat()})

    assert_refused(response, 422, "date_range_invalid")


def test_a_date_that_is_not_a_date_is_invalid_input(client, session, world):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/receipts", **{"from": "2025-13-01"})

    assert_refused(response, 422, "invalid_request")


def test_a_schools_receipts_are_paged(client, session, world, receipts_by_day):
    path = f"/schools/{world.school.id}/receipts"
    page = _get(client, session, world.inspector, path, limit=2, offset=2)

    assert _receipt_ids(page) == [receipts_by_day[n].id for n in (2, 1)]


@pytest.mark.parametrize("limit", [0, 501])
def test_a_page_size_outside_1_to_500_is_invalid_input(client, session, world, limit):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/receipts", limit=limit)

    assert_refused(response, 422, "invalid_request")


def test_a_supplier_lists_only_the_receipts_of_what_it_shipped_to_a_school(client, session, world, receipt):
    other = make_supplier(session)
    other_user = make_user(session, Role.supplier, supplier_id=other.id)
    product = make_product(session)
    batch = make_batch(session, other, product, Actor.of(other_user))
    line = make_order_line(session, world.school, other, product)
    session.commit()
    shipment = canteen_service.shipment_create(session, actor=Actor.of(other_user), data=ShipmentCreate(
        batch_id=batch.id, order_line_id=line.id, quantity=Decimal("5"), unit="kg", ship_date=days_ago(1)))
    others_receipt = world.receive(session, shipment, "5", receipt_date=days_ago(1))
    session.commit()
    path = f"/schools/{world.school.id}/receipts"

    assert _receipt_ids(_get(client, session, world.supplier_user, path)) == [receipt.id]
    assert _receipt_ids(_get(client, session, other_user, path)) == [others_receipt.id]
    assert _receipt_ids(_get(client, session, world.inspector, path)) == [receipt.id, others_receipt.id]


def test_canteen_staff_cannot_list_another_schools_receipts(client, session, world, receipt):
    response = _get(client, session, _other_school_staff(session), f"/schools/{world.school.id}/receipts")

    assert_refused(response, 403, "not_your_school")


def test_the_receipts_of_a_school_that_does_not_exist_are_not_found(client, session, world):
    assert_refused(_get(client, session, world.inspector, "/schools/999/receipts"), 404, "school_not_found")


def test_a_school_with_no_receipts_lists_none(client, session, world):
    assert _receipt_ids(_get(client, session, world.admin, f"/schools/{world.school.id}/receipts")) == []


# --- a school's kitchen use by date ------------------------------------------------------------


@pytest.fixture
def uses_by_day(session, world):
    """One use on each of the last four days (3 days ago … today), keyed by how many days ago."""
    world.receive(session, world.ship(session, "100", ship_date=days_ago(3)), "100", receipt_date=days_ago(3))
    uses = {n: canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("1"), unit="kg", use_date=days_ago(n), meal="lunch", dish="米饭"))
        for n in (3, 2, 1, 0)}
    session.commit()
    return uses


def _use_ids(response):
    assert response.status_code == 200, response.text
    return [u["id"] for u in response.json()]


@pytest.mark.parametrize("who", ["staff", "inspector", "admin"])
def test_a_schools_kitchen_use_is_read_by_its_staff_inspectors_and_admins(client, session, world, uses_by_day, who):
    response = _get(client, session, getattr(world, who), f"/schools/{world.school.id}/uses")

    assert _use_ids(response) == [uses_by_day[n].id for n in (3, 2, 1, 0)]
    assert response.json()[0]["dish"] == "米饭"


def test_kitchen_use_in_a_date_range_includes_both_of_its_days(client, session, world, uses_by_day):
    response = _get(client, session, world.staff, f"/schools/{world.school.id}/uses",
                    **{"from": days_ago(2).isoformat(), "to": days_ago(1).isoformat()})

    assert _use_ids(response) == [uses_by_day[n].id for n in (2, 1)]


def test_kitchen_use_can_be_narrowed_to_one_batch(client, session, world, uses_by_day):
    path = f"/schools/{world.school.id}/uses"

    assert len(_use_ids(_get(client, session, world.inspector, path, batch_id=world.batch.id))) == 4
    assert _use_ids(_get(client, session, world.inspector, path, batch_id=world.batch.id + 1)) == []


def test_kitchen_use_in_a_range_that_ends_before_it_starts_is_refused(client, session, world):
    response = _get(client, session, world.inspector, f"/schools/{world.school.id}/uses",
                    **{"from": days_ago(0).isoformat(), "to": days_ago(1).isoformat()})

    assert_refused(response, 422, "date_range_invalid")


def test_a_supplier_cannot_read_a_schools_kitchen_use(client, session, world, uses_by_day):
    response = _get(client, session, world.supplier_user, f"/schools/{world.school.id}/uses")

    assert_refused(response, 403, "uses_not_visible")


def test_canteen_staff_cannot_read_another_schools_kitchen_use(client, session, world, uses_by_day):
    response = _get(client, session, _other_school_staff(session), f"/schools/{world.school.id}/uses")

    assert_refused(response, 403, "not_your_school")


def test_the_kitchen_use_of_a_school_that_does_not_exist_is_not_found(client, session, world):
    assert_refused(_get(client, session, world.inspector, "/schools/999/uses"), 404, "school_not_found")
