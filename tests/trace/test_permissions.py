"""Who may do what: canteen staff for their own school, suppliers for their own batches,
inspectors read everything and write nothing that belongs to a canteen or supplier."""

from __future__ import annotations

import pytest

from canteens.models import OrderRevision, PurchaseOrder
from tests.factories import bearer, make_school, make_supplier, make_user, make_world, today
from tests.helpers import assert_refused
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session)


def test_requests_without_a_token_are_refused(client):
    assert_refused(client.get("/api/v1/me"), 401, "not_authenticated")
    assert_refused(client.get("/api/v1/me", headers={"Authorization": "Bearer zqt_nope"}), 401, "invalid_token")


def test_a_supplier_cannot_ship_another_suppliers_batch(client, session, world):
    other = make_supplier(session)
    intruder = make_user(session, Role.supplier, supplier_id=other.id)
    response = client.post("/api/v1/shipments", headers=bearer(session, intruder), json={
        "batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": "1", "unit": "kg",
        "ship_date": today().isoformat()})
    assert_refused(response, 403, "not_your_batch")


def test_a_supplier_cannot_register_a_batch_for_another_supplier(client, session, world):
    other = make_supplier(session)
    response = client.post("/api/v1/batches", headers=bearer(session, world.supplier_user), json={
        "supplier_id": other.id, "product_id": world.product.id, "lot_code": "X1",
        "production_date": today().isoformat(), "quantity": "1", "unit": "kg", "origin": "章丘"})
    assert_refused(response, 403, "not_your_supplier")


def test_a_supplier_cannot_read_another_suppliers_batch(client, session, world):
    other = make_user(session, Role.supplier, supplier_id=make_supplier(session).id)
    assert_refused(client.get(f"/api/v1/batches/{world.batch.id}", headers=bearer(session, other)),
                   403, "batch_not_visible")


def test_canteen_staff_cannot_receive_for_another_school(client, session, world):
    shipment = world.ship(session, "10")
    session.commit()
    other_staff = make_user(session, Role.canteen_staff, school_id=make_school(session).id)
    response = client.post("/api/v1/receipt-checks", headers=bearer(session, other_staff), json={
        "shipment_id": shipment.id, "accepted_quantity": "10", "rejected_quantity": "0", "unit": "kg",
        "certificates_checked": ["检验报告"], "receipt_date": today().isoformat()})
    assert_refused(response, 403, "not_your_school")


def test_canteen_staff_cannot_use_stock_of_another_school(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()
    other_school = make_school(session)
    other_staff = make_user(session, Role.canteen_staff, school_id=other_school.id)
    response = client.post("/api/v1/uses", headers=bearer(session, other_staff), json={
        "school_id": world.school.id, "batch_id": world.batch.id, "quantity": "1", "unit": "kg",
        "use_date": today().isoformat(), "meal": "lunch"})
    assert_refused(response, 403, "not_your_school")


def test_canteen_staff_cannot_read_another_schools_stock_or_batches(client, session, world):
    world.ship(session, "10")
    session.commit()
    other_staff = make_user(session, Role.canteen_staff, school_id=make_school(session).id)
    headers = bearer(session, other_staff)
    assert_refused(client.get(f"/api/v1/schools/{world.school.id}/stock", headers=headers), 403, "not_your_school")
    assert_refused(client.get(f"/api/v1/batches/{world.batch.id}", headers=headers), 403, "batch_not_visible")


def test_canteen_staff_can_trace_back_a_batch_sent_to_their_school(client, session, world):
    world.ship(session, "10")
    session.commit()
    response = client.get(f"/api/v1/batches/{world.batch.id}/trace/backward", headers=bearer(session, world.staff))
    assert response.status_code == 200
    assert response.json()["supplier"]["id"] == world.supplier.id


def test_an_inspector_reads_everything(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()
    headers = bearer(session, world.inspector)
    for path in (f"/api/v1/batches/{world.batch.id}", f"/api/v1/batches/{world.batch.id}/trace/backward",
                 f"/api/v1/batches/{world.batch.id}/trace/forward", f"/api/v1/schools/{world.school.id}/stock",
                 f"/api/v1/suppliers/{world.supplier.id}", "/api/v1/events", "/api/v1/chains/verify"):
        assert client.get(path, headers=headers).status_code == 200, path


@pytest.mark.parametrize("path,body", [
    ("/api/v1/batches", {"product_id": 1, "lot_code": "I1", "production_date": "2025-09-01", "quantity": "1",
                         "unit": "kg", "origin": "章丘"}),
    ("/api/v1/shipments", {"batch_id": 1, "order_line_id": 1, "quantity": "1", "unit": "kg",
                           "ship_date": "2025-09-01"}),
    ("/api/v1/receipt-checks", {"shipment_id": 1, "accepted_quantity": "1", "rejected_quantity": "0",
                                "unit": "kg", "receipt_date": "2025-09-01"}),
    ("/api/v1/uses", {"batch_id": 1, "quantity": "1", "unit": "kg", "use_date": "2025-09-01", "meal": "lunch"}),
    ("/api/v1/suppliers", {"name": "示例", "credit_code": "x", "contact": "x", "phone": "x"}),
    ("/api/v1/schools", {}),
    ("/api/v1/orders", {}),
])
def test_an_inspector_writes_nothing_that_belongs_to_a_canteen_or_supplier(client, session, world, path, body):
    # The role guard runs before the body is looked at, so even a sketchy body gets the 403.
    response = client.post(path, json=body, headers=bearer(session, world.inspector))
    assert_refused(response, 403, "role_not_allowed")


def test_canteen_staff_cannot_create_orders_or_suppliers(client, session, world):
    headers = bearer(session, world.staff)
    assert_refused(client.post("/api/v1/orders", headers=headers, json={
        "order_number": "X", "school_id": world.school.id, "supplier_id": world.supplier.id,
        "delivery_date": today().isoformat(),
        "lines": [{"line_number": 1, "product_id": world.product.id, "quantity": "1", "unit": "kg",
                   "unit_price_fen": 1}]}), 403, "role_not_allowed")


def test_another_schools_order_is_not_found_for_canteen_staff(client, session, world):
    other_staff = make_user(session, Role.canteen_staff, school_id=make_school(session).id)
    order_number = session.get(PurchaseOrder, session.get(OrderRevision, world.line.revision_id).order_id).order_number
    response = client.get(f"/api/v1/orders/{order_number}", headers=bearer(session, other_staff))
    error = assert_refused(response, 404, "order_not_found")
    assert error["message"]["en"] == f"Order {order_number} not found"


def test_another_suppliers_shipment_is_not_found_for_a_supplier(client, session, world):
    shipment = world.ship(session, "10")
    session.commit()
    intruder = make_user(session, Role.supplier, supplier_id=make_supplier(session).id)
    for path in (f"/api/v1/shipments/{shipment.id}", f"/api/v1/shipments/{shipment.id}/labels.pdf"):
        assert_refused(client.get(path, headers=bearer(session, intruder)), 404, "shipment_not_found")


def test_the_school_and_the_supplier_of_a_shipment_both_read_it(client, session, world):
    shipment = world.ship(session, "10")
    session.commit()
    for user in (world.staff, world.supplier_user, world.inspector):
        assert client.get(f"/api/v1/shipments/{shipment.id}", headers=bearer(session, user)).status_code == 200
