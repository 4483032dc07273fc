"""A morning's receiving in a real browser on a 390×844 phone (issue 12, item 8): the first staff member
signs in, types a lot code as a scanner gun does (the code, then Enter), fills the check and submits; the
second staff member's username and password confirm it on the same phone; the receipt shows both names.
A lot not shipped to this school is refused with its message, on the page.

The screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import chromium, live_server
from tests.factories import make_batch, make_order_line, make_person, make_school
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import world_with_people
from trace.custody import Actor
from trace.models import Role

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SECOND = "shitang2"


def test_a_delivery_is_received_by_scan_and_confirmed_by_a_second_person_on_a_phone(app, session, tmp_path):
    people = world_with_people(session)
    world = people.world
    make_person(session, Role.canteen_staff, username=SECOND, school_id=world.school.id, display_name="食堂 刘示例")
    world.ship(session, "40")
    # A lot of the same supplier sent to another school only: not for this door.
    elsewhere = make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user), lot_code="MS251199X")
    world.ship(session, "10", batch_id=elsewhere.id,
               order_line_id=make_order_line(session, make_school(session), world.supplier, world.product).id)
    session.commit()
    shots = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(locale="zh-CN", **PHONE)
        page.goto(base + "/signin")
        page.fill("#username", people.canteen)
        page.fill("#password", TEST_PASSWORD)
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()

        page.goto(base + "/canteen/receive")
        assert page.locator("#code").evaluate("el => el === document.activeElement")  # ready for the scanner
        page.screenshot(path=str(shots / "receive-0-scan.png"), full_page=True)
        page.keyboard.type("MS251199X")  # a scanner gun: the code as keystrokes, then Enter
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.get_by_role("alert").is_visible()
        assert "没有发往本校" in page.get_by_role("alert").inner_text()
        page.screenshot(path=str(shots / "receive-1-refused.png"), full_page=True)

        page.fill("#code", "")
        page.locator("#code").focus()
        page.keyboard.type(world.batch.lot_code)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("form[data-offline=receipt-check]").is_visible()
        page.check("input[name=certificates_checked][value=检验报告]")
        page.fill("#accepted_quantity", "38")
        page.fill("#rejected_quantity", "2")
        page.fill("#rejection_reason", "两袋包装破损")
        page.check("input[name=rejected_disposal][value=returned]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "receive-2-check.png"), full_page=True)
        with page.expect_navigation():
            page.locator("form[data-offline=receipt-check] button[type=submit]").click()
        assert "/canteen/receipt-checks/" in page.url
        assert page.locator("#check-status").inner_text() == "待第二人复核"
        page.screenshot(path=str(shots / "receive-3-awaiting.png"), full_page=True)

        page.fill("#username", SECOND)
        page.fill("#password", TEST_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="确认验收").last.click()
        receipt = page.locator("#receipt").inner_text()
        assert "食堂 王示例" in receipt and "食堂 刘示例" in receipt and "38 kg" in receipt
        assert page.locator("#check-status").inner_text() == "已复核确认"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "receive-4-confirmed.png"), full_page=True)
        page.close()
