"""A retried POST with the same Idempotency-Key returns the first result instead of writing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from canteens.models import Shipment
from tests.factories import bearer, make_world, today
from tests.helpers import assert_refused


def _ship(client, headers, world, quantity="10"):
    return client.post("/api/v1/shipments", headers=headers, json={
        "batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": quantity, "unit": "kg",
        "ship_date": today().isoformat()})


def test_a_retry_with_the_same_key_returns_the_first_result_and_writes_once(client, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Idempotency-Key": "ship-0001"}
    first = _ship(client, headers, world)
    again = _ship(client, headers, world)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Shipment)).scalar_one() == 1


def test_the_same_key_with_a_different_body_is_refused(client, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Idempotency-Key": "ship-0002"}
    assert _ship(client, headers, world, "10").status_code == 201
    assert_refused(_ship(client, headers, world, "11"), 422, "idempotency_key_reused")


def test_without_a_key_each_post_is_a_new_write(client, session):
    world = make_world(session)
    headers = bearer(session, world.supplier_user)
    assert _ship(client, headers, world).json()["id"] != _ship(client, headers, world).json()["id"]


def test_keys_belong_to_one_user(client, session):
    world = make_world(session)
    key = {"Idempotency-Key": "shared-key"}
    assert _ship(client, {**bearer(session, world.supplier_user), **key}, world).status_code == 201
    response = client.post("/api/v1/batches/%d/hold" % world.batch.id, json={"reason": "抽检"},
                           headers={**bearer(session, world.inspector), **key})
    assert response.status_code == 200


def test_a_refused_write_is_not_remembered_so_a_corrected_retry_goes_through(client, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Idempotency-Key": "ship-0003"}
    assert_refused(_ship(client, headers, world, "5000"), 409, "quantity_exceeds_batch")
    assert _ship(client, headers, world, "10").status_code == 201
