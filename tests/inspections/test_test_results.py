"""Test results by API (issue 13 item 1) and the hold a failed one puts on its batch (item 2).

A laboratory verdict is computed from value and limit, never typed; a correction is a new
result pointing at the one it corrects; a failed laboratory result, or a rapid positive
that every re-test repeated, seals the batch at once, and the kitchen can no longer use it.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from canteens import meals
from canteens.models import Meal
from inspections import service as inspection_service
from inspections.models import TestOutcome
from inspections.rapid_tests import ENZYME_INHIBITION
from suppliers.models import Batch, BatchStatus
from tests.factories import bearer, make_world, today
from tests.helpers import assert_refused
from trace.custody import events_for_batch
from trace.db import utcnow
from trace.errors import Conflict, Invalid

TESTED_AT = "2026-11-30T09:00:00+08:00"


@pytest.fixture
def world(session):
    world = make_world(session, category="蔬菜", name="菠菜", storage="chilled", shelf_life_days=10,
                       rapid_test=ENZYME_INHIBITION, conversions={})
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()
    return world


def lab(world, value, limit, **extra):
    return {"batch_id": world.batch.id, "kind": "lab_report", "item": "毒死蜱", "method": "GB 23200.113-2018",
            "value": value, "value_unit": "mg/kg", "limit_value": limit, "laboratory": "济南市食品药品检验检测中心",
            "report_number": "JN-0007", "tested_at": TESTED_AT} | extra


def post(client, session, user, body, url="/api/v1/test-results"):
    return client.post(url, json=body, headers=bearer(session, user))


def batch_status(session, world):
    session.expire_all()
    return session.get(Batch, world.batch.id).status


@pytest.mark.parametrize(("value", "limit", "kind", "outcome"), [
    ("0.05", "0.05", "max", "pass"),  # a maximum is met at the limit
    ("0.04", "0.05", "max", "pass"),
    ("0.051", "0.05", "max", "fail"),
    ("3.0", "3.0", "min", "pass"),  # a minimum is met from the limit up
    ("2.9", "3.0", "min", "fail"),
])
def test_a_laboratory_verdict_is_computed_from_value_and_limit(client, session, world, value, limit, kind, outcome):
    response = post(client, session, world.inspector, lab(world, value, limit, limit_kind=kind))
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["outcome"], result["limit_kind"], result["verdict"]) == (outcome, kind, None)
    assert result["method"] == "毒死蜱（GB 23200.113-2018）"


def test_the_verdict_cannot_be_typed(client, session, world):
    response = post(client, session, world.inspector, lab(world, "0.01", "0.05", outcome="pass"))
    assert response.status_code == 422
    with pytest.raises(Invalid) as refused:
        inspection_service.test_result_record(
            session, actor=world.actor(world.inspector), batch_id=world.batch.id, kind="lab_report",
            tested_at=utcnow(), value=Decimal("1"), limit_value=Decimal("2"), outcome=TestOutcome.passed,
            laboratory="检验所")
    assert refused.value.code == "verdict_is_computed"


def test_a_laboratory_result_needs_its_limit(client, session, world):
    response = post(client, session, world.inspector, lab(world, "0.01", None))
    assert_refused(response, 422, "laboratory_value_and_limit_required")


def test_only_inspectors_enter_laboratory_results(client, session, world):
    response = post(client, session, world.staff, lab(world, "0.01", "0.05"))
    assert_refused(response, 403, "laboratory_results_inspectors_only")


def test_a_canteen_records_its_rapid_test_with_the_verdict_computed(client, session, world):
    body = {"batch_id": world.batch.id, "kind": ENZYME_INHIBITION, "value": "20", "tested_at": TESTED_AT}
    response = post(client, session, world.staff, body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["verdict"], result["school_id"], result["method"]) == ("negative", world.school.id,
                                                                          "GB/T 5009.199-2003")
    read = client.get(f"/api/v1/test-results/{result['id']}", headers=bearer(session, world.inspector))
    assert read.json()["id"] == result["id"]
    listed = client.get(f"/api/v1/batches/{world.batch.id}/test-results", headers=bearer(session, world.staff))
    assert result["id"] in [t["id"] for t in listed.json()]  # with the test at the door


def test_a_retried_post_with_the_same_idempotency_key_records_once(client, session, world):
    headers = bearer(session, world.inspector) | {"Idempotency-Key": "lab-0007"}
    first = client.post("/api/v1/test-results", json=lab(world, "0.01", "0.05"), headers=headers)
    again = client.post("/api/v1/test-results", json=lab(world, "0.01", "0.05"), headers=headers)
    assert first.json() == again.json()
    assert [t.report_number for t in inspection_service.tests_of_batch(session, world.batch.id)
            if t.kind == "lab_report"] == ["JN-0007"]


def test_a_failed_laboratory_result_seals_the_batch_at_once(client, session, world):
    response = post(client, session, world.inspector, lab(world, "0.2", "0.05"))
    assert response.json()["outcome"] == "fail"
    assert batch_status(session, world) == BatchStatus.on_hold
    [*_, tested, held] = events_for_batch(session, world.batch.id)
    assert (tested.biz_step, held.biz_step) == ("inspecting", "holding")
    reason = json.loads(held.payload)["reason"]
    assert "实验室检验不合格" in reason and "JN-0007" in reason


def test_the_kitchen_can_no_longer_use_a_sealed_batch(client, session, world):
    post(client, session, world.inspector, lab(world, "0.2", "0.05"))
    session.expire_all()
    meal = meals.meal_get_or_create(session, actor=world.actor(world.staff), meal_date=today(), meal=Meal.lunch,
                                    dishes=["清炒菠菜"])
    with pytest.raises(Conflict):
        meals.meal_use(session, actor=world.actor(world.staff), meal_id=meal.id, batch_id=world.batch.id,
                       quantity=Decimal("1"), unit="kg", dish="清炒菠菜")


def test_a_passed_result_leaves_the_batch_in_use(client, session, world):
    post(client, session, world.inspector, lab(world, "0.01", "0.05"))
    assert batch_status(session, world) == BatchStatus.active


def test_a_batch_sealed_already_is_not_sealed_twice(client, session, world):
    post(client, session, world.inspector, lab(world, "0.2", "0.05"))
    response = post(client, session, world.inspector, lab(world, "0.3", "0.05", report_number="JN-0008"))
    assert response.status_code == 201
    assert [e.biz_step for e in events_for_batch(session, world.batch.id)].count("holding") == 1


def test_a_rapid_positive_seals_the_batch_only_when_every_re_test_repeats_it(client, session, world):
    rapid = {"batch_id": world.batch.id, "kind": ENZYME_INHIBITION, "tested_at": TESTED_AT}
    first = post(client, session, world.staff, rapid | {"value": "62"}).json()
    assert batch_status(session, world) == BatchStatus.active  # 阳性（待确证）: re-tests due
    post(client, session, world.staff, rapid | {"value": "60", "retest_of_id": first["id"]})
    assert batch_status(session, world) == BatchStatus.active
    post(client, session, world.staff, rapid | {"value": "58", "retest_of_id": first["id"]})
    assert batch_status(session, world) == BatchStatus.on_hold


def test_a_rapid_positive_a_re_test_did_not_repeat_leaves_the_batch_in_use(client, session, world):
    rapid = {"batch_id": world.batch.id, "kind": ENZYME_INHIBITION, "tested_at": TESTED_AT}
    first = post(client, session, world.staff, rapid | {"value": "62"}).json()
    post(client, session, world.staff, rapid | {"value": "20", "retest_of_id": first["id"]})
    post(client, session, world.staff, rapid | {"value": "61", "retest_of_id": first["id"]})
    assert batch_status(session, world) == BatchStatus.active


def test_a_correction_is_a_new_result_pointing_at_the_old_one_with_its_verdict_computed(client, session, world):
    original = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    body = {"reason": "报告数值录入错误", "value": "0.09", "tested_at": TESTED_AT}
    response = post(client, session, world.inspector, body, f"/api/v1/test-results/{original['id']}/corrections")
    assert response.status_code == 201, response.text
    corrected = response.json()
    assert (corrected["corrects_id"], corrected["outcome"], corrected["limit_value"]) == (original["id"], "fail",
                                                                                          "0.050")
    assert corrected["correction_reason"] == "报告数值录入错误"
    unchanged = client.get(f"/api/v1/test-results/{original['id']}", headers=bearer(session, world.inspector))
    assert unchanged.json()["outcome"] == "pass"  # the original stays as it was
    assert batch_status(session, world) == BatchStatus.on_hold  # the corrected result failed
    again = post(client, session, world.inspector, body, f"/api/v1/test-results/{original['id']}/corrections")
    assert_refused(again, 409, "test_result_already_corrected")
    chained = post(client, session, world.inspector, body, f"/api/v1/test-results/{corrected['id']}/corrections")
    assert chained.json()["corrects_id"] == corrected["id"]


def test_a_canteen_corrects_only_its_own_rapid_tests(client, session, world):
    lab_result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    body = {"reason": "录入错误", "value": "10", "tested_at": TESTED_AT}
    refused = post(client, session, world.staff, body, f"/api/v1/test-results/{lab_result['id']}/corrections")
    assert_refused(refused, 403, "laboratory_results_inspectors_only")
    rapid = post(client, session, world.staff, {"batch_id": world.batch.id, "kind": ENZYME_INHIBITION,
                                                "value": "55", "tested_at": TESTED_AT}).json()
    corrected = post(client, session, world.staff, body, f"/api/v1/test-results/{rapid['id']}/corrections").json()
    assert (corrected["corrects_id"], corrected["verdict"]) == (rapid["id"], "negative")


def test_an_unknown_test_result_is_not_found(client, session, world):
    response = client.get("/api/v1/test-results/999999", headers=bearer(session, world.inspector))
    assert_refused(response, 404, "test_result_not_found")


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def attach(client, session, user, test_id, content, content_type="application/pdf"):
    return client.post(f"/api/v1/test-results/{test_id}/report", content=content,
                       headers=bearer(session, user) | {"Content-Type": content_type})


def test_the_report_file_is_attached_and_served_back_to_readers(client, session, world):
    result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    attached = attach(client, session, world.inspector, result["id"], PDF)
    assert attached.status_code == 200, attached.text
    assert attached.json()["report_media_type"] == "application/pdf"
    served = client.get(f"/api/v1/test-results/{result['id']}/report", headers=bearer(session, world.staff))
    assert (served.status_code, served.content, served.headers["content-type"]) == (200, PDF, "application/pdf")


def test_a_png_photo_of_the_report_is_accepted_by_its_content(client, session, world):
    result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    response = attach(client, session, world.inspector, result["id"], PNG, "application/octet-stream")
    assert response.json()["report_media_type"] == "image/png"


@pytest.mark.parametrize("content", [b"<html>not a report</html>", b"MZ\x90\x00 an executable", b""])
def test_a_file_that_is_not_a_pdf_jpeg_or_png_is_refused_whatever_it_claims(client, session, world, content):
    result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    assert_refused(attach(client, session, world.inspector, result["id"], content), 422, "report_type_not_allowed")


def test_a_report_over_the_size_setting_is_refused(client, session, world, monkeypatch):
    monkeypatch.setenv("TRACE_TEST_REPORT_MAX_BYTES", "2048")
    from trace.settings import get_settings
    get_settings.cache_clear()
    try:
        result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
        response = attach(client, session, world.inspector, result["id"], PDF + b"0" * 4096)
        assert_refused(response, 422, "report_too_large")
    finally:
        monkeypatch.delenv("TRACE_TEST_REPORT_MAX_BYTES")
        get_settings.cache_clear()


def test_a_report_is_attached_once_a_different_one_belongs_to_a_correction(client, session, world):
    result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    attach(client, session, world.inspector, result["id"], PDF)
    assert_refused(attach(client, session, world.inspector, result["id"], PNG), 409, "report_already_attached")


def test_a_result_without_a_report_has_none_to_serve(client, session, world):
    result = post(client, session, world.inspector, lab(world, "0.01", "0.05")).json()
    response = client.get(f"/api/v1/test-results/{result['id']}/report", headers=bearer(session, world.inspector))
    assert_refused(response, 404, "report_not_attached")
