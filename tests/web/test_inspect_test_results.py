"""The batch page's tests table (issue 13): the verdict in words, the report link, and a
correction shown with the original struck through, pointing at it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inspections import service as inspection_service
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace.db import utcnow


@pytest.fixture
def people(session):
    return world_with_people(session)


def test_the_batch_page_shows_a_corrected_laboratory_result_struck_through_with_its_report(client, session, people):
    world = people.world
    actor = world.actor(world.inspector)
    original = inspection_service.test_result_record(
        session, actor=actor, batch_id=world.batch.id, kind="lab_report", tested_at=utcnow(),
        value=Decimal("0.01"), limit_value=Decimal("0.05"), limit_kind="max", method="GB 23200.113-2018",
        value_unit="mg/kg", laboratory="济南市食品药品检验检测中心", report_number="JN-0007")
    correction = inspection_service.test_result_correct(session, actor=actor, test_id=original.id,
                                                        reason="数值录入错误", tested_at=utcnow(), value=Decimal("0.2"))
    inspection_service.test_report_attach(session, test_id=correction.id, content=b"%PDF-1.7\n%%EOF\n")
    session.commit()
    sign_in(client, people.inspector)

    page = client.get(f"/inspect/batches/{world.batch.id}").text

    assert "<s>" in page and "不合格" in page and "合格" in page
    assert f'href="#test-{correction.id}"' in page and f"已更正，见 #{correction.id}" in page
    assert f"更正 #{original.id}" in page
    assert f'href="/api/v1/test-results/{correction.id}/report"' in page and "检验报告文件" in page


def test_an_inspector_enters_a_failed_laboratory_result_with_its_report_on_the_batch_page(client, session, people):
    world = people.world
    sign_in(client, people.inspector)
    page = client.get(f"/inspect/batches/{world.batch.id}").text
    assert 'action="/inspect/batches/%s/tests"' % world.batch.id in page and "录入实验室检验结果" in page

    posted = client.post(f"/inspect/batches/{world.batch.id}/tests", data={
        "csrf_token": form_token(page), "item": "毒死蜱", "method": "GB 23200.113-2018", "value": "0.2",
        "value_unit": "mg/kg", "limit_value": "0.05", "limit_kind": "max", "laboratory": "济南市食品药品检验检测中心",
        "report_number": "JN-0007", "tested_on": "2026-11-30"},
        files={"report": ("report.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}, follow_redirects=False)

    assert posted.status_code == 303, posted.text
    session.expire_all()
    [*_, result] = inspection_service.tests_of_batch(session, world.batch.id)
    assert (result.outcome.value, result.report_media_type) == ("fail", "application/pdf")
    after = client.get(posted.headers["location"]).text
    assert "不合格" in after and "已封存" in after


def test_a_refused_laboratory_result_comes_back_on_the_page_with_the_reason(client, session, people):
    world = people.world
    sign_in(client, people.inspector)
    page = client.get(f"/inspect/batches/{world.batch.id}").text

    posted = client.post(f"/inspect/batches/{world.batch.id}/tests", data={
        "csrf_token": form_token(page), "item": "毒死蜱", "method": "GB 23200.113-2018", "value": "0.2",
        "limit_value": "0.05", "laboratory": "检验所", "tested_on": "2026-11-30"},
        files={"report": ("report.pdf", b"<html>", "application/pdf")}, follow_redirects=False)

    assert posted.status_code == 422
    assert "报告文件只能是 PDF、JPEG 或 PNG" in posted.text
    assert [t for t in inspection_service.tests_of_batch(session, world.batch.id) if t.kind == "lab_report"] == []
