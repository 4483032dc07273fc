"""Words a Chinese reader trusts: enum labels from the zh-CN catalog, no English enum values
inside Chinese messages, 封存 / 解除封存 as market supervision's measures, licences named."""

from __future__ import annotations

import re

import pytest

from canteens.models import SchoolKind
from suppliers.models import (
    BATCH_ACTION_LABELS,
    BATCH_STATUS_LABELS,
    LICENCE_KIND_LABELS,
    SUPPLIER_KIND_LABELS,
    BatchStatus,
)
from tests.factories import bearer, days_ago, make_product, make_supplier, make_user, make_world
from tests.helpers import assert_refused
from trace.i18n import label
from trace.models import ROLE_LABELS, Role

CJK = re.compile(r"[\u4e00-\u9fff]")
LABELS = {**ROLE_LABELS, **BATCH_STATUS_LABELS, **BATCH_ACTION_LABELS, **LICENCE_KIND_LABELS,
          **SUPPLIER_KIND_LABELS}
ENUM_VALUES = {str(v) for v in (*ROLE_LABELS, *BatchStatus, *LICENCE_KIND_LABELS, *SUPPLIER_KIND_LABELS,
                                *BATCH_ACTION_LABELS)}



@pytest.fixture
def world(session):
    return make_world(session)


@pytest.mark.parametrize("message", sorted(set(LABELS.values())))
def test_every_enum_label_has_a_chinese_translation_in_the_catalog(message):
    assert CJK.search(label(message)), message


def test_release_is_called_lifting_the_seal():
    assert label(BATCH_ACTION_LABELS["release"]) == "解除封存"
    assert label(BATCH_ACTION_LABELS["hold"]) == "封存"


def test_no_school_kind_is_abbreviated():
    assert "九年一贯制" in {k.value for k in SchoolKind}


def test_status_conflict_names_status_and_action_in_chinese(client, session, world):
    response = client.post(f"/api/v1/batches/{world.batch.id}/release", json={"reason": "复检合格"},
                           headers=bearer(session, world.inspector))
    error = assert_refused(response, 409, "batch_status_conflict")
    zh = error["message"]["zh-CN"]
    assert "解除封存" in zh and "正常" in zh
    assert not ENUM_VALUES & set(re.findall(r"[a-z_]+", zh)), zh


def test_sealing_a_batch_is_an_inspectors_measure_not_an_admins(client, session, world):
    response = client.post(f"/api/v1/batches/{world.batch.id}/hold", json={"reason": "抽检"},
                           headers=bearer(session, world.admin))
    error = assert_refused(response, 403, "role_not_allowed")
    assert "管理员" in error["message"]["zh-CN"]
    assert "admin" not in error["message"]["zh-CN"]


def test_a_sealed_batch_is_refused_as_sealed_by_market_supervision(client, session, world):
    client.post(f"/api/v1/batches/{world.batch.id}/hold", json={"reason": "抽检"},
                headers=bearer(session, world.inspector))
    response = client.post("/api/v1/shipments", headers=bearer(session, world.supplier_user), json={
        "batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": "1", "unit": "kg",
        "ship_date": world.batch.production_date.isoformat()})
    error = assert_refused(response, 409, "batch_on_hold")
    assert "市场监管部门封存" in error["message"]["zh-CN"]


def test_missing_certificate_message_does_not_double_the_category_word(client, session, world):
    meat = make_product(session, category="肉类", required_certificate="动物检疫合格证明")
    supplier = make_supplier(session)
    user = make_user(session, Role.supplier, supplier_id=supplier.id)
    response = client.post("/api/v1/batches", headers=bearer(session, user), json={
        "product_id": meat.id, "lot_code": "M1", "production_date": days_ago(1).isoformat(), "quantity": "10",
        "unit": "kg", "origin": "山东省济南市"})
    error = assert_refused(response, 422, "certificate_missing")
    assert "类类" not in error["message"]["zh-CN"]


def test_public_page_names_each_licence_by_its_kind(client, world):
    page = client.get(f"/public/batches/{world.batch.id}?lang=zh-CN").text
    assert "食品经营许可证" in page
    assert "持证食品生产经营者" in page
