"""Input no row could match, or no column could hold, is a 4xx with a reason, never a 500.

Found by fuzzing the OpenAPI schema (Schemathesis): ids past what the keys hold overflowed
the database driver, and a package conversion could outgrow the quantity column.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import bearer, make_batch, make_world, today
from tests.helpers import assert_refused
from trace.custody import Actor
from trace.errors import Invalid

TOO_BIG = 2**63  # past any key the database could hold (SQLite's driver overflows)
JUST_PAST = 2**31  # past PostgreSQL's INTEGER keys


@pytest.fixture
def world(session):
    return make_world(session, conversions={"吨袋": Decimal("1000000")})


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"/api/v1/batches/{TOO_BIG}"),
    ("GET", f"/api/v1/batches/{TOO_BIG}/trace/forward"),
    ("GET", f"/api/v1/schools/{TOO_BIG}/stock"),
    ("GET", f"/api/v1/suppliers/{TOO_BIG}"),
    ("GET", f"/api/v1/batches?supplier_id={TOO_BIG}"),
    ("GET", f"/api/v1/events?after_id={TOO_BIG}"),
    ("GET", f"/api/v1/labels/sheet.pdf?batch_id={TOO_BIG}"),
    ("POST", f"/api/v1/batches/{TOO_BIG}/recall"),  # hold is an inspector's; recall an admin's too
    ("GET", f"/api/v1/batches/{JUST_PAST}"),
    ("POST", f"/api/v1/users/{JUST_PAST}/tokens"),
])
def test_an_id_past_what_the_keys_hold_is_invalid_input(client, session, world, method, path):
    response = client.request(method, path, headers=bearer(session, world.admin),
                              json={"reason": "复检"} if method == "POST" else None)
    assert_refused(response, 422, "invalid_request")


def test_a_damaged_public_link_is_a_friendly_page_in_chinese(client, world):
    for batch_id in (TOO_BIG, "not-a-number"):
        response = client.get(f"/public/batches/{batch_id}", headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "请重新扫描" in response.text


def test_an_id_past_what_the_keys_hold_in_a_body_is_invalid_input(client, session, world):
    body = {"batch_id": TOO_BIG, "quantity": "1", "unit": "kg", "use_date": today().isoformat(), "meal": "lunch"}
    response = client.post("/api/v1/uses", json=body, headers=bearer(session, world.staff))
    error = assert_refused(response, 422, "invalid_request")
    assert error["details"]["fields"][0]["loc"] == ["body", "batch_id"]


def test_a_conversion_beyond_what_the_platform_counts_is_refused(session, world):
    with pytest.raises(Invalid) as refused:
        make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user),
                   quantity=Decimal("999999999999"), unit="吨袋")
    assert refused.value.code == "quantity_too_large"


def test_a_lot_cannot_be_produced_in_the_future(session, world):
    with pytest.raises(Invalid) as refused:
        make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user),
                   production_date=today() + timedelta(days=1))
    assert refused.value.code == "date_in_future"
