"""Offline first in a real browser (Debian's chromium) on a 390×844 phone: the canteen's use page
keeps working without a network through the service worker, a use recorded offline is queued on the
phone and synced once when the network returns, and one the server refuses on sync (a hold that
arrived meanwhile) waits on /canteen/sync until a staff member resolves it.

Screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from canteens import device_sync
from canteens.models import KitchenUse
from inspections import service as inspection_service
from tests.browser import chromium, live_server
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import People, world_with_people
from trace.custody import Actor

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def stocked_school(session) -> People:
    people = world_with_people(session)
    world = people.world
    world.receive(session, world.ship(session, "200"), "200")
    session.commit()
    return people


def uses_of(session, people: People) -> list[tuple[Decimal, str]]:
    """The school's uses as (quantity, dish); the read ends at once, so the live server may write."""
    session.expire_all()
    found = [(use.quantity, use.dish) for use in session.execute(
        select(KitchenUse).where(KitchenUse.school_id == people.world.school.id)).scalars()]
    session.rollback()
    return found


def signed_in_phone(browser, base: str, people: People):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = context.new_page()
    page.goto(base + "/signin")
    page.fill("#username", people.canteen)
    page.fill("#password", TEST_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/canteen/deliveries")
    # The worker is installed from the first page; from then on it keeps a copy of each canteen page.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(base + "/canteen/uses")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(base + "/canteen/uses")
    return context, page


def record_use_offline(context, page, people: People, quantity: str) -> None:  # type: ignore[no-untyped-def]
    context.set_offline(True)
    page.reload()
    banner = page.locator("[data-offline-banner]")
    assert banner.is_visible() and "离线，显示的是" in banner.inner_text()
    page.select_option("#batch_id", str(people.world.batch.id))
    page.fill("#quantity", quantity)
    page.check("input[name=meal][value=lunch]")
    page.fill("#dish", "米饭")
    page.locator("form[data-offline] button[type=submit]").click()
    page.locator("#offline-status").wait_for()
    assert page.locator("#offline-status").inner_text().startswith("已保存在本机，联网后自动提交 (1 条待同步)")


def test_a_use_recorded_offline_is_kept_on_the_phone_and_recorded_once_when_online(app, session, tmp_path):
    people = stocked_school(session)
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people)

        record_use_offline(context, page, people, "12.5")
        page.screenshot(path=str(shots(tmp_path) / "offline-use-queued-phone.png"), full_page=True)
        assert uses_of(session, people) == []

        context.set_offline(False)
        page.locator("#sync-status").wait_for()
        assert "本机保存的 1 条操作已提交" in page.locator("#sync-status").inner_text()
        page.screenshot(path=str(shots(tmp_path) / "offline-use-synced-phone.png"), full_page=True)
        assert uses_of(session, people) == [(Decimal("12.500"), "米饭")]

        page.goto(base + "/canteen/uses")  # a page load syncs again: nothing is left to send
        page.wait_for_load_state("networkidle")
        assert len(uses_of(session, people)) == 1
        assert page.get_by_text("12.5 kg").first.is_visible()
        context.close()


def test_a_use_of_a_lot_held_while_offline_is_refused_on_sync_shown_and_resolved(app, session, tmp_path):
    people = stocked_school(session)
    world = people.world
    lot_code, school_id = world.batch.lot_code, world.school.id
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people)
        record_use_offline(context, page, people, "20")

        inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                               action="hold", reason="农残快检阳性，待复检")
        session.commit()
        session.rollback()  # reading the committed rows again would hold SQLite's lock against the server
        context.set_offline(False)
        page.locator("#sync-status").wait_for()
        assert "1 条被拒" in page.locator("#sync-status").inner_text()
        assert uses_of(session, people) == []

        page.goto(base + "/canteen/deliveries")
        assert page.get_by_text("1 条在手机上保存的操作同步时被拒").is_visible()
        page.get_by_role("link", name="1 条在手机上保存的操作同步时被拒，等待处理。").click()
        page.wait_for_url(base + "/canteen/sync")
        refusal = page.locator("li.card.problem")
        assert "封存" in refusal.inner_text() and lot_code in refusal.inner_text()
        assert "厨房领用" in refusal.inner_text() and "20" in refusal.inner_text()
        page.screenshot(path=str(shots(tmp_path) / "offline-use-refused-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        refusal.locator("input[name=note]").fill("已退回供应商")
        refusal.get_by_role("button", name="标记为已处理").click()
        page.wait_for_url(base + "/canteen/sync?resolved=1")
        assert page.locator("li.card.problem").count() == 0
        assert "已退回供应商" in page.locator("main").inner_text()
        page.screenshot(path=str(shots(tmp_path) / "offline-use-resolved-phone.png"), full_page=True)
        assert device_sync.refusals_waiting(session, school_id) == 0
        session.rollback()
        context.close()


def test_signing_out_deletes_the_pages_kept_on_the_phone(app, session):
    people = stocked_school(session)
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people)
        assert page.evaluate("caches.open('trace-pages').then(c => c.keys()).then(k => k.length)") >= 1

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(base + "/")

        assert page.evaluate("caches.open('trace-pages').then(c => c.keys()).then(k => k.length)") == 0
        context.set_offline(True)
        page.goto(base + "/canteen/uses")
        assert "本机也没有这个页面的副本" in page.locator("main").inner_text()
        context.close()


def test_online_the_use_form_posts_as_before_and_a_refusal_comes_back_on_the_form(app, session, tmp_path):
    people = stocked_school(session)
    batch_id = people.world.batch.id
    session.rollback()
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people)

        page.select_option("#batch_id", str(batch_id))
        page.fill("#quantity", "500")
        page.check("input[name=meal][value=lunch]")
        page.locator("form[data-offline] button[type=submit]").click()
        page.locator("p.alert").wait_for()
        assert "出库数量超过库存" in page.locator("p.alert").inner_text()
        assert page.locator("#quantity").input_value() == "500"  # the form as it was sent
        assert uses_of(session, people) == []

        page.fill("#quantity", "5")
        page.locator("form[data-offline] button[type=submit]").click()
        page.wait_for_url(lambda url: "recorded=1" in url)
        assert page.get_by_text("已记录").first.is_visible()
        assert uses_of(session, people) == [(Decimal("5.000"), "")]
        context.close()


def test_a_queued_form_keeps_its_fields_lists_meal_and_device_time_with_its_offset(app, session):
    people = stocked_school(session)
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people)
        # A form shaped as the meal and receiving pages' are: a meal id, checkboxes of papers, a yes/no box.
        page.evaluate("""() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/canteen/uses";
            form.setAttribute("data-offline", "meal-use");
            form.setAttribute("data-meal-id", "7");
            form.innerHTML = '<input name="csrf_token" value="x"><input name="batch_id" value="3">' +
                '<input name="quantity" value="2.5"><input name="dish" value="番茄炒蛋">' +
                '<input type="checkbox" name="certificates_checked" value="检验检疫证明" checked>' +
                '<input type="checkbox" name="certificates_checked" value="购货凭证">' +
                '<input type="checkbox" name="cold_chain" checked><button id="queue-it">ok</button>';
            document.querySelector("main").append(form);
        }""")
        context.set_offline(True)
        page.click("#queue-it")
        page.locator("#offline-status").wait_for()

        [op] = page.evaluate("window.traceOffline.waiting()")

        assert op["kind"] == "meal-use" and op["meal_id"] == 7
        assert op["body"] == {"batch_id": "3", "quantity": "2.5", "dish": "番茄炒蛋",
                              "certificates_checked": ["检验检疫证明"], "cold_chain": "on"}
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            op["client_operation_id"])
        assert op["device_occurred_at"].endswith("+08:00")  # the phone's clock, with its offset
        context.close()
