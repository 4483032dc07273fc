"""Words a Chinese reader trusts: enum labels from the zh-CN catalog, no English enum values
inside Chinese messages, 封存 / 解除封存 as market supervision's measures, licences named."""

from __future__ import annotations

import ast
import re
from enum import Enum

import pytest

from canteens.models import CHECK_STATUS_LABELS, DISPOSAL_LABELS, MEAL_LABELS, CheckStatus, Disposal, Meal, SchoolKind
from inspections import rapid_tests
from inspections.models import LAB_REPORT, OUTCOME_LABELS, TEST_KIND_LABELS, TestOutcome
from inspections.rapid_tests import STANDING_LABELS, VERDICT_LABELS, Standing, Verdict
from suppliers.models import (
    BATCH_ACTION_LABELS,
    BATCH_STATUS_LABELS,
    LICENCE_KIND_LABELS,
    STORAGE_LABELS,
    SUPPLIER_KIND_LABELS,
    BatchStatus,
    LicenceKind,
    StorageCondition,
    SupplierKind,
)
from tests.factories import bearer, days_ago, make_product, make_supplier, make_user, make_world
from tests.helpers import assert_refused
from trace.i18n import label
from trace.models import ROLE_LABELS, Role
from trace.settings import PROJECT_ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
LABELS = {**ROLE_LABELS, **BATCH_STATUS_LABELS, **BATCH_ACTION_LABELS, **LICENCE_KIND_LABELS,
          **SUPPLIER_KIND_LABELS}
ENUM_VALUES = {str(v) for v in (*ROLE_LABELS, *BatchStatus, *LICENCE_KIND_LABELS, *SUPPLIER_KIND_LABELS,
                                *BATCH_ACTION_LABELS)}
# Every enum people see by name, with the mapping that names it (English msgids, Chinese in the catalog).
ENUM_LABELS: list[tuple[type[Enum], dict]] = [
    (Role, ROLE_LABELS), (BatchStatus, BATCH_STATUS_LABELS), (LicenceKind, LICENCE_KIND_LABELS),
    (SupplierKind, SUPPLIER_KIND_LABELS), (StorageCondition, STORAGE_LABELS), (Meal, MEAL_LABELS),
    (TestOutcome, OUTCOME_LABELS), (Verdict, VERDICT_LABELS), (Standing, STANDING_LABELS),
    (Disposal, DISPOSAL_LABELS), (CheckStatus, CHECK_STATUS_LABELS),
]
DOMAIN_PACKAGES = ("trace", "suppliers", "canteens", "inspections", "seeds", "exports")
# Official code tables (GB 32100 departments and categories, SC food categories, JY 主体业态):
# regulatory data, the names the codes stand for, not labels of our enums.
OFFICIAL_CODE_TABLES = {"DEPARTMENTS_ZH", "CATEGORIES_ZH", "SC_CATEGORIES_ZH", "JY_OPERATOR_TYPES_ZH"}
LOCALE_KEYS = {"zh-CN", "zh_CN", "zh", "en"}


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.mark.parametrize("message", sorted(set(LABELS.values())))
def test_every_enum_label_has_a_chinese_translation_in_the_catalog(message):
    assert CJK.search(label(message)), message


@pytest.mark.parametrize("enum,labels", ENUM_LABELS, ids=[enum.__name__ for enum, _ in ENUM_LABELS])
def test_every_member_of_a_named_enum_has_a_label_translated_in_the_zh_cn_catalog(enum, labels):
    assert set(labels) == set(enum)
    untranslated = [member.value for member, message in labels.items() if label(message, "zh-CN") == message]
    assert not untranslated, f"{enum.__name__}: no zh-CN translation for {untranslated}"


def test_every_kind_of_test_on_the_public_page_is_named_in_both_languages():
    assert set(TEST_KIND_LABELS) == {*rapid_tests.RAPID_TESTS, LAB_REPORT}
    for message in TEST_KIND_LABELS.values():
        assert CJK.search(label(message, "zh-CN")) and label(message, "en") == message


def test_labels_read_as_they_did_before_the_catalog_held_them():
    assert [label(STORAGE_LABELS[s]) for s in StorageCondition] == ["常温", "冷藏", "冷冻"]
    assert [label(MEAL_LABELS[m]) for m in Meal] == ["早餐", "午餐", "晚餐"]
    assert [label(OUTCOME_LABELS[o]) for o in TestOutcome] == ["合格", "预警", "不合格"]
    assert label(STANDING_LABELS[Standing.counts]) == "快检阳性（复检均为阳性）：暂停使用，送有资质的检验机构确证"


def label_tables(source: str) -> list[str]:
    """Dictionaries in ``source`` that name things for people outside the catalogs: a table per
    language (``{"zh-CN": {...}}``), Chinese names keyed by enum members (``{Meal.lunch: "午餐"}``),
    or a module-level ``*_ZH`` / ``*_EN`` / ``*_NAMES`` table. An error's inline
    ``{"zh-CN": zh, "en": en}`` pair is allowed: its values are not tables."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
            per_language = any(isinstance(k, ast.Constant) and k.value in LOCALE_KEYS and isinstance(v, ast.Dict)
                               for k, v in zip(node.keys, node.values, strict=True))
            by_enum_member = keys and all(
                isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name) and k.value.id[:1].isupper()
                for k in keys)
            chinese = any(isinstance(v, ast.Constant) and isinstance(v.value, str) and CJK.search(v.value)
                          for v in node.values)
            if per_language or (by_enum_member and chinese):
                found.append(f"line {node.lineno}")
        if isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if (isinstance(target, ast.Name) and re.search(r"_(ZH|EN|NAMES)$", target.id)
                        and target.id not in OFFICIAL_CODE_TABLES):
                    found.append(f"{target.id} (line {node.lineno})")
    return found


@pytest.mark.parametrize("source", [
    'NAMES = {"zh-CN": {"pass": "合格"}, "en": {"pass": "Pass"}}',
    'labels = {Meal.lunch: "午餐"}',
    'MEAL_EN = {}',
])
def test_a_label_dictionary_outside_the_catalogs_is_recognised(source):
    assert label_tables(source)


def test_an_error_message_pair_and_an_official_code_table_are_not_label_dictionaries():
    assert not label_tables('raise_it({"zh-CN": refused.zh, "en": refused.en})\nCATEGORIES_ZH = {"11": "机关"}')


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_no_label_dictionary_bypasses_the_catalogs(package):
    """Enum labels and page texts come from the gettext catalogs: a ``*_LABELS = {Enum.x: N_("English")}``
    mapping and ``label(...)`` / ``_()``, never a dictionary of Chinese or per-language names."""
    offenders = {str(path.relative_to(PROJECT_ROOT)): tables
                 for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
                 if (tables := label_tables(path.read_text(encoding="utf-8")))}
    assert not offenders


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
