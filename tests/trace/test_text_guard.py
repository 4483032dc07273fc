"""Text from outside holding a control character is refused with one 422, on every field and
on both databases (PostgreSQL cannot store U+0000; SQLite stored it as given).

Ordinary Chinese text, newlines in a note and tabs still pass."""

from __future__ import annotations

import json
from itertools import count

import pytest
from sqlalchemy import func, select

from suppliers.credit_code import make_credit_code
from suppliers.models import Product, Supplier
from tests.factories import bearer, make_world, today
from tests.helpers import assert_refused
from trace.models import IdempotencyRecord

_numbers = count(1)


@pytest.fixture
def world(session):
    return make_world(session)


def supplier_body(name: str = "示例明水粮油有限公司", **overrides) -> dict:
    return {"name": name, "credit_code": make_credit_code("91", "370114", f"NUL{next(_numbers):05d}"),
            "contact": "王示例", "phone": "0531-83210001", **overrides}


def product_body(name: str) -> dict:
    return {"code": f"P-NUL-{next(_numbers)}", "name": name, "category": "粮食", "unit": "kg",
            "shelf_life_days": 365, "storage": "ambient"}


def use_body(world, dish: str) -> dict:
    return {"batch_id": world.batch.id, "quantity": "1", "unit": "kg", "use_date": today().isoformat(),
            "meal": "lunch", "dish": dish}


def count_of(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_nul_in_a_supplier_name_is_refused_and_nothing_is_stored(client, session, world):
    before = count_of(session, Supplier)

    response = client.post("/api/v1/suppliers", json=supplier_body("示例\u0000供应商"),
                           headers=bearer(session, world.admin))

    error = assert_refused(response, 422, "control_character_in_text")
    assert error["details"] == {"loc": ["body", "name"], "character": "U+0000"}
    assert "body.name" in error["message"]["zh-CN"] and "U+0000" in error["message"]["en"]
    assert count_of(session, Supplier) == before


def test_a_nul_in_a_product_name_is_refused(client, session, world):
    before = count_of(session, Product)

    response = client.post("/api/v1/products", json=product_body("东北\u0000大米"), headers=bearer(session, world.admin))

    assert assert_refused(response, 422, "control_character_in_text")["details"]["loc"] == ["body", "name"]
    assert count_of(session, Product) == before


def test_a_nul_in_a_dish_is_refused(client, session, world):
    response = client.post("/api/v1/uses", json=use_body(world, "米饭\u0000"), headers=bearer(session, world.staff))

    assert assert_refused(response, 422, "control_character_in_text")["details"]["loc"] == ["body", "dish"]


def test_a_control_character_deep_in_a_body_is_named_by_its_path(client, session, world):
    body = supplier_body(licences=[{"kind": "food_business", "number": "JY1370114\u00850001",
                                    "issued_on": "2024-01-01", "expires_on": "2029-01-01"}])

    response = client.post("/api/v1/suppliers", json=body, headers=bearer(session, world.admin))

    error = assert_refused(response, 422, "control_character_in_text")
    assert error["details"] == {"loc": ["body", "licences", 0, "number"], "character": "U+0085"}


def test_a_control_character_in_a_json_key_is_refused(client, session, world):
    body = {**supplier_body(), "na\u0001me": "x"}

    response = client.post("/api/v1/suppliers", json=body, headers=bearer(session, world.admin))

    error = assert_refused(response, 422, "control_character_in_text")
    assert error["details"] == {"loc": ["body", "naU+0001me"], "character": "U+0001"}
    # The refusal names the character; it never echoes it back.
    assert "\u0001" not in response.text and "\x01" not in response.text


def test_a_lone_surrogate_is_refused(client, session, world):
    raw = json.dumps(supplier_body()).replace('"contact": "', '"contact": "\\ud800', 1)

    response = client.post("/api/v1/suppliers", content=raw.encode(), headers={
        **bearer(session, world.admin), "Content-Type": "application/json"})

    error = assert_refused(response, 422, "control_character_in_text")
    assert error["details"] == {"loc": ["body", "contact"], "character": "U+D800"}


def test_a_nul_in_a_path_segment_is_refused(client, session, world):
    response = client.get("/api/v1/orders/abc%00def", headers=bearer(session, world.admin))

    assert assert_refused(response, 422, "control_character_in_text")["details"]["loc"] == ["path", "abc%00def"]


def test_a_nul_in_a_query_parameter_is_refused(client, session, world):
    response = client.get("/api/v1/events?stream=batch%3A1%00", headers=bearer(session, world.admin))

    assert assert_refused(response, 422, "control_character_in_text")["details"]["loc"] == ["query", "stream"]


def test_a_del_in_a_form_field_is_refused(client, session, world):
    response = client.post("/api/v1/suppliers", data={"name": "示例\x7f供应商"}, headers=bearer(session, world.admin))

    assert assert_refused(response, 422, "control_character_in_text")["details"]["loc"] == ["body", "name"]


def test_a_control_character_in_an_idempotency_key_is_refused_and_not_stored(client, session, world):
    response = client.post("/api/v1/suppliers", json=supplier_body(), headers={
        **bearer(session, world.admin), "Idempotency-Key": "retry\x01"})

    error = assert_refused(response, 422, "control_character_in_text")
    assert error["details"]["loc"] == ["header", "idempotency-key"]
    assert count_of(session, IdempotencyRecord) == 0


def test_a_control_character_in_a_public_link_is_a_page_not_json(client, world):
    response = client.get("/public/batches/1%00", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "控制字符" in response.text


def test_chinese_text_newlines_and_tabs_are_accepted(client, session, world):
    body = supplier_body("章丘区示例粮油有限公司", address="明水街道示例路 1 号\n后门收货\r\n\t仓库二号")

    response = client.post("/api/v1/suppliers", json=body, headers=bearer(session, world.admin))

    assert response.status_code == 201, response.text
    assert response.json()["address"] == "明水街道示例路 1 号\n后门收货\r\n\t仓库二号"


def test_a_chinese_dish_is_accepted(client, session, world):
    world.receive(session, world.ship(session, "400"), "400")
    session.commit()

    response = client.post("/api/v1/uses", json=use_body(world, "番茄炒蛋（少油）"), headers=bearer(session, world.staff))

    assert response.status_code == 201, response.text
