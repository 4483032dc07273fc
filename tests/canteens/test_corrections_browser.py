"""A canteen staff member corrects a receipt on a phone (390×844) in a real browser, and sees both records:
on the correction's page, on the delivery's page, and the inspector sees both in the batch's trace.

The screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import chromium, live_server
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import world_with_people

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _sign_in(page, base, username):
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], page.url


def test_a_receipt_is_corrected_on_a_phone_and_both_records_are_shown(app, session, tmp_path):
    people = world_with_people(session)
    world = people.world
    shipment = world.ship(session, "50")
    receipt = world.receive(session, shipment, "50")
    session.commit()
    shots = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(locale="zh-CN", **PHONE)
        _sign_in(page, base, people.canteen)
        page.goto(base + f"/canteen/shipments/{shipment.id}")
        page.get_by_role("link", name="更正", exact=True).click()
        page.wait_for_load_state()
        assert page.url == base + f"/canteen/receipts/{receipt.id}/correct"
        _fits(page)
        page.screenshot(path=str(shots / "correction-0-form-phone.png"), full_page=True)

        # A refusal first: a correction that changes nothing, told on the form.
        page.fill("#reason", "再次清点")
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_load_state()
        assert page.get_by_role("alert").inner_text().startswith("更正后的数量与原记录相同")

        page.fill("#accepted", "46")
        page.fill("#rejected", "4")
        page.fill("#rejection_reason", "两袋破损")
        page.fill("#reason", "验收时漏记破损的四公斤")
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_load_state()
        assert "done=1" in page.url
        assert page.get_by_role("status").inner_text().startswith("更正已记录")
        rows = page.locator("table.cards tbody tr")
        assert rows.count() == 2
        assert "已更正" in rows.nth(0).inner_text() and "50 kg" in rows.nth(0).inner_text()
        assert "更正记录" in rows.nth(1).inner_text() and "46 kg" in rows.nth(1).inner_text()
        _fits(page)
        page.screenshot(path=str(shots / "correction-1-done-phone.png"), full_page=True)

        page.goto(base + f"/canteen/shipments/{shipment.id}")
        receipts = page.locator("table.cards").last.locator("tbody tr")
        assert receipts.count() == 2
        assert "已更正" in receipts.nth(0).inner_text() and "更正记录" in receipts.nth(1).inner_text()
        assert page.get_by_text("部分验收").first.is_visible()
        _fits(page)
        page.screenshot(path=str(shots / "correction-2-shipment-phone.png"), full_page=True)
        page.close()

        page = browser.new_page(locale="zh-CN", **PHONE)
        _sign_in(page, base, people.inspector)
        page.goto(base + f"/inspect/batches/{world.batch.id}")
        assert page.get_by_text("验收时漏记破损的四公斤").first.is_visible()
        timeline = page.locator("ol.timeline")
        assert sorted(timeline.locator(".badge").all_inner_texts()) == ["已更正", "更正记录"]
        assert timeline.get_by_role("link", name="查看被更正的记录").is_visible()
        _fits(page)
        page.screenshot(path=str(shots / "correction-3-inspector-phone.png"), full_page=True)
        page.close()
