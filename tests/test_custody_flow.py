"""End to end through the API: a batch goes from its supplier's registration through
shipment, receipt and use, and traces correctly in both directions."""

from __future__ import annotations

from suppliers.credit_code import make_credit_code
from tests.factories import bearer, days_ago, make_user, today
from trace.models import Role


def _post(client, path, headers, body, status=201):
    response = client.post(f"/api/v1{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def test_a_batch_travels_from_supplier_to_kitchen_and_traces_both_ways(client, session):
    admin = bearer(session, make_user(session, Role.admin))
    supplier = _post(client, "/suppliers", admin, {
        "name": "示例明水粮油有限公司", "credit_code": make_credit_code("91", "370114", "FLWA0001"),
        "contact": "王示例", "phone": "0531-83210001",
        "licences": [{"kind": "food_production", "number": "SC10137011400015",
                      "issued_on": "2024-01-01", "expires_on": "2029-01-01"}],
    })
    product = _post(client, "/products", admin, {
        "code": "P-RICE-01", "name": "东北大米（粳米）", "category": "粮食", "unit": "kg",
        "shelf_life_days": 365, "storage": "ambient", "conversions": {"袋": "25"},
    })
    assert len(product["gtin"]) == 14 and product["gtin_assigned"]
    school = _post(client, "/schools", admin, {
        "code": "ZQ-S01", "name": "示例明水第一小学", "town": "明水街道", "town_code": "370114001000",
        "kind": "小学", "students": 2100, "staff": 130, "canteen_name": "示例明水第一小学食堂",
        "canteen_licence": "JY33701140000019", "canteen_licence_issued": "2024-08-01",
        "canteen_licence_expires": "2029-07-31",
    })
    supplier_user = _post(client, "/users", admin, {"username": "mingshui-ls", "display_name": "明水粮油发货员",
                                                    "role": "supplier", "supplier_id": supplier["id"]})
    staff_user = _post(client, "/users", admin, {"username": "s01-cook", "display_name": "一小食堂验收员",
                                                 "role": "canteen_staff", "school_id": school["id"]})
    supplier_auth = {"Authorization": "Bearer " + _post(client, f"/users/{supplier_user['id']}/tokens", admin,
                                                        {"name": "发货 PDA"})["token"]}
    staff_auth = {"Authorization": "Bearer " + _post(client, f"/users/{staff_user['id']}/tokens", admin,
                                                     {"name": "扫码枪"})["token"]}
    # 双人联检: a second staff member of the school confirms each receipt with their own credentials.
    second_user = _post(client, "/users", admin, {"username": "s01-keeper", "display_name": "一小食堂保管员",
                                                  "role": "canteen_staff", "school_id": school["id"]})
    second_auth = {"Authorization": "Bearer " + _post(client, f"/users/{second_user['id']}/tokens", admin,
                                                      {"name": "保管员手机"})["token"]}
    order = _post(client, "/orders", admin, {
        "order_number": "ZQCG-20251128-0001", "school_id": school["id"], "supplier_id": supplier["id"],
        "delivery_date": today().isoformat(),
        "lines": [{"line_number": 1, "product_id": product["id"], "quantity": "20", "unit": "袋",
                   "unit_price_fen": 12500}],
    })
    line = order["revisions"][-1]["lines"][0]
    assert line["quantity"] == "500.000"

    batch = _post(client, "/batches", supplier_auth, {
        "product_id": product["id"], "lot_code": "MS251101A", "production_date": days_ago(20).isoformat(),
        "quantity": "40", "unit": "袋", "origin": "黑龙江省五常市",
        "certificates": [{"kind": "检验报告", "number": "JC-MS251101A", "issued_by": "示例粮油质检中心"}],
    })
    assert batch["quantity"] == "1000.000" and batch["supplier_id"] == supplier["id"]
    shipment = _post(client, "/shipments", supplier_auth, {
        "batch_id": batch["id"], "order_line_id": line["id"], "quantity": "20", "unit": "袋",
        "ship_date": today().isoformat()})
    scanned = client.get(f"/api/v1/schools/{school['id']}/scan", params={"code": "MS251101A"}, headers=staff_auth)
    assert [s["shipment_id"] for s in scanned.json()] == [shipment["id"]]
    check = _post(client, "/receipt-checks", staff_auth, {
        "shipment_id": shipment["id"], "accepted_quantity": "475", "rejected_quantity": "25", "unit": "kg",
        "rejection_reason": "一袋包装破损", "rejected_disposal": "returned", "certificates_checked": ["检验报告"],
        "receipt_date": today().isoformat()})
    assert check["status"] == "open"
    receipt = _post(client, f"/receipt-checks/{check['id']}/confirm", second_auth, {})
    assert (receipt["received_by"], receipt["confirmed_by"]) == (staff_user["id"], second_user["id"])
    _post(client, "/uses", staff_auth, {"batch_id": batch["id"], "quantity": "30", "unit": "kg",
                                        "use_date": today().isoformat(), "meal": "lunch", "dish": "米饭"})

    backward = client.get(f"/api/v1/receipts/{receipt['id']}/trace/backward", headers=staff_auth).json()
    assert backward["supplier"]["credit_code"] == supplier["credit_code"]
    assert backward["licences"][0]["number"] == "SC10137011400015"
    assert backward["shipments"][0]["order"]["order_number"] == "ZQCG-20251128-0001"
    assert [e["biz_step"] for e in backward["events"]] == ["commissioning", "shipping", "receiving", "dispensing"]

    forward = client.get(f"/api/v1/batches/{batch['id']}/trace/forward", headers=admin).json()
    assert forward["destinations"] == [{
        "school_id": school["id"], "school_code": "ZQ-S01", "school_name": "示例明水第一小学", "town": "明水街道",
        "shipped_quantity": "500.000", "in_transit_quantity": "0.000", "received_quantity": "475.000",
        "rejected_quantity": "25.000", "used_quantity": "30.000", "on_hand_quantity": "445.000",
        "last_used_on": today().isoformat()}]

    stock = client.get(f"/api/v1/schools/{school['id']}/stock", headers=staff_auth).json()
    assert stock == [{"school_id": school["id"], "batch_id": batch["id"], "received_quantity": "475.000",
                      "used_quantity": "30.000", "on_hand": "445.000", "unit": "kg",
                      "product_id": product["id"], "supplier_id": supplier["id"], "gtin": product["gtin"],
                      "lot_code": "MS251101A", "status": "active", "expiry_date": batch["expiry_date"],
                      "days_to_expiry": 345, "usable": True}]
    verification = client.get("/api/v1/chains/verify", headers=admin).json()
    assert verification["ok"] is True


def test_every_write_is_attributed_to_the_authenticated_user(client, session):
    from tests.factories import make_world

    world = make_world(session)
    headers = bearer(session, world.supplier_user)
    response = client.post("/api/v1/shipments", headers=headers, json={
        "batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": "10", "unit": "kg",
        "ship_date": today().isoformat()})
    assert response.status_code == 201
    events = client.get(f"/api/v1/events?stream=batch:{world.batch.id}",
                        headers=bearer(session, world.inspector)).json()
    assert events[-1]["biz_step"] == "shipping"
    assert events[-1]["actor_user_id"] == world.supplier_user.id
    assert events[-1]["actor_role"] == "supplier"
    assert events[-1]["tz_offset"] == "+08:00"
