"""The custody rules, each refusing bad input with a clear error and writing nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from suppliers import service as supplier_service
from suppliers.models import Batch
from suppliers.schemas import SupplierStanding
from tests.factories import (
    bearer,
    days_ago,
    make_batch,
    make_order_line,
    make_product,
    make_world,
    receive_by_api,
    today,
)
from tests.helpers import assert_refused
from trace.accounts import system_actor
from trace.models import CustodyEvent


@pytest.fixture
def world(session):
    return make_world(session)


def ship(client, session, world, quantity="400", **overrides):
    body = {"batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": quantity, "unit": "kg",
            "ship_date": today().isoformat(), **overrides}
    return client.post("/api/v1/shipments", json=body, headers=bearer(session, world.supplier_user))


def receive(client, session, world, shipment_id, accepted, rejected="0", **overrides):
    """Two people receive it: the first opens the check, the second confirms (the first refusal, if any)."""
    return receive_by_api(client, session, world, shipment_id, accepted, rejected, **overrides)


def use(client, session, world, quantity, **overrides):
    body = {"batch_id": world.batch.id, "quantity": quantity, "unit": "kg", "use_date": today().isoformat(),
            "meal": "lunch", **overrides}
    return client.post("/api/v1/uses", json=body, headers=bearer(session, world.staff))


def event_count(session) -> int:
    """Custody events outside the accounts' own chains (a new API token and its first use are recorded there)."""
    session.expire_all()
    statement = select(func.count()).select_from(CustodyEvent).where(CustodyEvent.stream.not_like("user:%"))
    return session.execute(statement).scalar_one()


# --- conservation -------------------------------------------------------------------------------

def test_shipping_more_than_the_batch_holds_is_refused_and_writes_nothing(client, session, world):
    assert ship(client, session, world, "600").status_code == 201
    before = event_count(session)
    error = assert_refused(ship(client, session, world, "401"), 409, "quantity_exceeds_batch")
    assert error["details"]["remaining"] == "400.000"
    assert event_count(session) == before
    session.expire_all()
    assert session.get(Batch, world.batch.id).shipped_quantity == Decimal("600")


def test_receiving_more_than_was_shipped_is_refused(client, session, world):
    shipment = ship(client, session, world, "100").json()
    assert_refused(receive(client, session, world, shipment["id"], "90", "11", rejection_reason="破损"),
                   409, "quantity_exceeds_shipment")
    assert receive(client, session, world, shipment["id"], "100").status_code == 201
    assert_refused(receive(client, session, world, shipment["id"], "1"), 409, "quantity_exceeds_shipment")


def test_using_more_than_is_on_hand_is_refused(client, session, world):
    shipment = ship(client, session, world, "100").json()
    receive(client, session, world, shipment["id"], "80", "20", rejection_reason="感官异常")
    assert use(client, session, world, "50").status_code == 201
    error = assert_refused(use(client, session, world, "30.001"), 409, "quantity_exceeds_stock")
    assert error["details"]["on_hand"] == "30.000"


def test_a_batch_never_received_cannot_be_used(client, session, world):
    assert_refused(use(client, session, world, "1"), 409, "batch_not_in_stock")


# --- expired, held, recalled ---------------------------------------------------------------------

def test_an_expired_batch_cannot_be_shipped(client, session, world):
    product = make_product(session, shelf_life_days=3)
    batch = make_batch(session, world.supplier, product, world.actor(world.supplier_user),
                       production_date=days_ago(10))
    line = make_order_line(session, world.school, world.supplier, product)
    session.commit()
    response = ship(client, session, world, "10", batch_id=batch.id, order_line_id=line.id)
    assert_refused(response, 409, "batch_expired")


def test_an_expired_batch_cannot_be_received(client, session, world):
    product = make_product(session, shelf_life_days=3)
    batch = make_batch(session, world.supplier, product, world.actor(world.supplier_user),
                       production_date=days_ago(4))
    line = make_order_line(session, world.school, world.supplier, product)
    session.commit()
    shipment = ship(client, session, world, "10", batch_id=batch.id, order_line_id=line.id,
                    ship_date=days_ago(2).isoformat()).json()
    assert_refused(receive(client, session, world, shipment["id"], "10"), 409, "batch_expired")


@pytest.mark.parametrize("action,code", [("hold", "batch_on_hold"), ("recall", "batch_recalled")])
def test_a_held_or_recalled_batch_cannot_be_shipped_received_or_used(client, session, world, action, code):
    shipment = ship(client, session, world, "100").json()
    receive(client, session, world, shipment["id"], "50")
    second = ship(client, session, world, "100").json()
    response = client.post(f"/api/v1/batches/{world.batch.id}/{action}", json={"reason": "农残快检阳性"},
                           headers=bearer(session, world.inspector))
    assert response.status_code == 200, response.text
    assert_refused(ship(client, session, world, "10"), 409, code)
    assert_refused(receive(client, session, world, second["id"], "10"), 409, code)
    assert_refused(use(client, session, world, "1"), 409, code)


def test_a_rejection_is_still_recorded_for_a_held_batch(client, session, world):
    shipment = ship(client, session, world, "100").json()
    client.post(f"/api/v1/batches/{world.batch.id}/hold", json={"reason": "待检"},
                headers=bearer(session, world.inspector))
    response = receive(client, session, world, shipment["id"], "0", "100", rejection_reason="批次已封存，退回")
    assert response.status_code == 201, response.text


# --- the supplier's standing ---------------------------------------------------------------------

@pytest.mark.parametrize("standing,code", [
    ({"status": "suspended"}, "supplier_suspended"),
    ({"dishonest": True}, "supplier_dishonest"),
])
def test_a_suspended_or_dishonest_supplier_cannot_ship(client, session, world, standing, code):
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=world.supplier.id,
                                           data=SupplierStanding(note="示例处罚", **standing))
    session.commit()
    assert_refused(ship(client, session, world), 409, code)


def test_goods_from_a_supplier_suspended_after_shipping_cannot_be_received(client, session, world):
    shipment = ship(client, session, world, "100").json()
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=world.supplier.id,
                                           data=SupplierStanding(status="suspended", note="示例处罚"))
    session.commit()
    assert_refused(receive(client, session, world, shipment["id"], "100"), 409, "supplier_suspended")


def test_a_supplier_whose_licence_expired_cannot_ship(client, session, world):
    from suppliers.models import Licence

    for licence in session.execute(select(Licence).where(Licence.supplier_id == world.supplier.id)).scalars():
        licence.expires_on = days_ago(1)  # a test shortcut: licences are master data, not custody events
    session.commit()
    assert_refused(ship(client, session, world), 409, "supplier_licence_expired")


# --- dates ---------------------------------------------------------------------------------------

def test_shipping_before_production_is_refused(client, session, world):
    assert_refused(ship(client, session, world, ship_date=days_ago(6).isoformat()), 422, "dates_out_of_order")


def test_receiving_before_shipping_is_refused(client, session, world):
    shipment = ship(client, session, world, "10").json()
    assert_refused(receive(client, session, world, shipment["id"], "10", receipt_date=days_ago(1).isoformat()),
                   422, "dates_out_of_order")


def test_dates_in_the_future_are_refused(client, session, world):
    assert_refused(ship(client, session, world, ship_date=(today() + timedelta(days=1)).isoformat()),
                   422, "date_in_future")


# --- identifiers and units -----------------------------------------------------------------------

def test_an_invalid_credit_code_is_refused(client, session, world):
    response = client.post("/api/v1/suppliers", headers=bearer(session, world.admin), json={
        "name": "示例错误代码公司", "credit_code": "91110108717809965C", "contact": "张", "phone": "123"})
    assert_refused(response, 422, "invalid_credit_code")


def test_an_invalid_licence_number_is_refused_and_the_supplier_is_not_half_written(client, session, world):
    from suppliers.credit_code import make_credit_code
    from suppliers.models import Supplier

    code = make_credit_code("91", "370114", "HALF0002")
    response = client.post("/api/v1/suppliers", headers=bearer(session, world.admin), json={
        "name": "示例半截公司", "credit_code": code, "contact": "张", "phone": "123",
        "licences": [{"kind": "food_business", "number": "JY9123", "issued_on": "2024-01-01",
                      "expires_on": "2029-01-01"}]})
    assert_refused(response, 422, "invalid_licence_number")
    session.expire_all()
    assert session.execute(select(Supplier).where(Supplier.credit_code == code)).first() is None


def test_an_undeclared_unit_is_refused(client, session, world):
    error = assert_refused(ship(client, session, world, "2", unit="箱"), 422, "unit_mismatch")
    assert error["details"]["declared_units"] == ["袋"]


def test_a_declared_package_unit_is_converted(client, session, world):
    response = ship(client, session, world, "2", unit="袋")
    assert response.status_code == 201
    assert response.json()["quantity"] == "50.000"


def test_a_rejection_needs_a_reason(client, session, world):
    shipment = ship(client, session, world, "10").json()
    assert_refused(receive(client, session, world, shipment["id"], "5", "5"), 422, "rejection_reason_required")


def test_cold_chain_goods_need_an_arrival_temperature_within_limits(client, session):
    world = make_world(session, storage="chilled", category="肉类", name="冷鲜猪肉", shelf_life_days=5,
                       required_certificate=None, conversions={})
    shipment = ship(client, session, world, "10").json()
    assert_refused(receive(client, session, world, shipment["id"], "10"), 422, "arrival_temperature_required")
    assert_refused(receive(client, session, world, shipment["id"], "10", arrival_temperature_celsius=14.5),
                   409, "arrival_temperature_out_of_range")
    assert receive(client, session, world, shipment["id"], "10", arrival_temperature_celsius=3.2).status_code == 201


def test_malformed_json_gets_a_bilingual_422(client, session, world):
    response = client.post("/api/v1/shipments", headers=bearer(session, world.supplier_user),
                           json={"batch_id": "x"})
    error = assert_refused(response, 422, "invalid_request")
    assert error["details"]["fields"]


def test_a_shipment_must_match_its_order_line(client, session, world):
    other = make_product(session)
    line = make_order_line(session, world.school, world.supplier, other)
    session.commit()
    assert_refused(ship(client, session, world, order_line_id=line.id), 409, "order_line_mismatch")


def test_a_superseded_order_revision_cannot_be_shipped_against(client, session, world):
    from canteens import service as canteen_service
    from canteens.models import OrderRevision, PurchaseOrder
    from canteens.schemas import OrderLineIn, OrderRevise

    revision = session.get(OrderRevision, world.line.revision_id)
    order = session.get(PurchaseOrder, revision.order_id)
    canteen_service.order_revise(session, actor=system_actor(), order_number=order.order_number, data=OrderRevise(
        delivery_date=today(), note="临时调整就餐人数",
        lines=[OrderLineIn(line_number=1, product_id=world.product.id, quantity=Decimal("800"), unit="kg",
                           unit_price_fen=500)]))
    session.commit()
    assert_refused(ship(client, session, world), 409, "order_line_superseded")
    history = client.get(f"/api/v1/orders/{order.order_number}", headers=bearer(session, world.admin)).json()
    assert [r["revision"] for r in history["revisions"]] == [1, 2]
    assert history["revisions"][0]["lines"][0]["quantity"] == "1000.000"
    current, lines = canteen_service.order_current_revision(session, order.id)
    assert (current.revision, [line.quantity for line in lines]) == (2, [Decimal("800.000")])


def test_holds_are_inspectors_work_not_suppliers(client, session, world):
    response = client.post(f"/api/v1/batches/{world.batch.id}/hold", json={"reason": "自查"},
                           headers=bearer(session, world.supplier_user))
    assert_refused(response, 403, "role_not_allowed")
