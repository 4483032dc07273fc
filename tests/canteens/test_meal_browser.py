"""A canteen worker's lunch on a phone, in a real browser: open today's lunch, take a lot into it by
typing its lot code (as a scanner gun does: the code, then Enter), keep the dish's sample (留样),
serve the meal, and open its investigation screen to find the lot, its supplier, its test and the sample.

The screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from canteens.meal_models import RetainedSample, SchoolMeal
from canteens.models import KitchenUse
from inspections import service as inspection_service
from tests.browser import chromium, live_server
from tests.canteens.meal_steps import open_meal, stocked
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import world_with_people
from trace.custody import Actor
from trace.db import utcnow

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def test_a_worker_uses_a_lot_into_lunch_keeps_its_sample_serves_it_and_traces_it_on_a_phone(app, session, tmp_path):
    people = world_with_people(session)
    world = stocked(session, people.world, "200")
    inspection_service.test_result_record(session, actor=Actor.of(world.staff), batch_id=world.batch.id,
                                          school_id=world.school.id, kind="pesticide_enzyme_inhibition",
                                          value=Decimal("12"), tested_at=utcnow())
    session.commit()
    lunch = open_meal(session, world, dishes=("米饭",))
    shots = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(locale="zh-CN", **PHONE)

        def fits(name: str) -> None:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], name
            page.screenshot(path=str(shots / f"meal-{name}-phone.png"), full_page=True)

        page.goto(base + "/signin")
        page.fill("#username", people.canteen)
        page.fill("#password", TEST_PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()

        page.goto(base + "/canteen/meals")
        fits("1-today")
        page.get_by_role("link", name="午餐").click()
        page.wait_for_load_state()
        assert page.url.startswith(base + f"/canteen/meals/{lunch.id}")

        page.fill("#quantity", "20")
        page.select_option("#use_dish", "米饭")
        page.locator("#lot_code").type(world.batch.lot_code)
        fits("2-use")
        with page.expect_navigation(url=lambda url: "done=use" in url):  # offline.js posts it, then follows
            page.locator("#lot_code").press("Enter")
        assert page.get_by_text("已出库到本餐").is_visible()
        assert page.locator("#lots").get_by_text(world.batch.lot_code).is_visible()

        page.select_option("#sample_dish", "米饭")
        page.fill("#weight_grams", "150")
        page.fill("#fridge", "留样柜1")
        page.fill("#position", "第2层左")
        page.locator("#sample button[type=submit]").click()
        page.wait_for_load_state()
        assert page.get_by_text("留样已登记").is_visible()
        fits("3-sampled")

        page.locator("#served button[type=submit]").click()
        page.wait_for_load_state()
        assert page.get_by_text("已供餐：本餐所用批次已记录为进入本餐").is_visible()

        page.get_by_role("link", name="追溯调查：本餐的每个批次、供应商、检测和留样").click()
        page.wait_for_load_state()
        lot = page.locator(f"#lot-{world.batch.id}")
        assert lot.get_by_text(world.batch.lot_code).first.is_visible()
        assert lot.get_by_text(world.supplier.name).is_visible()
        assert lot.get_by_text("阴性").is_visible()
        assert page.locator("#samples").get_by_text("留样柜1").is_visible()
        fits("4-trace")
        page.close()

    session.expire_all()
    assert session.get(SchoolMeal, lunch.id).served_at is not None
    assert len(session.execute(select(KitchenUse)).all()) == 1
    assert len(session.execute(select(RetainedSample)).all()) == 1
