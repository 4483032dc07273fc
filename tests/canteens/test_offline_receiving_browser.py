"""Receiving and 出库 into a meal with the network off, in a real browser (Debian's chromium) on a
390×844 phone (issue 12, items 6 and 8).

- A staff member opens 验收 online (the service worker keeps the page with today's deliveries and
  their forms), loses the network, types a lot code as a scanner gun does (the code, then Enter): the
  delivery's form opens from the page; its submit is queued on the phone; when the network returns it
  syncs as the first checker's check, the message links to it, and a second staff member confirms it
  with their own credentials: the receipt counts, once.
- A lot held while the phone was offline: its queued check is refused on sync, shown on /canteen/sync
  and resolved with a note.
- A use into lunch by typed lot code, offline, syncs once.

Screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from canteens import device_sync
from canteens.models import KitchenUse, Receipt, ReceiptCheck, Stock
from inspections import service as inspection_service
from tests.browser import chromium, live_server
from tests.canteens.meal_steps import open_meal, stocked
from tests.factories import make_person
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import People, world_with_people
from trace.custody import Actor
from trace.models import Role

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SECOND = "shitang2"


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def door_of_school(session, quantity: str = "40") -> tuple[People, int]:
    """A school expecting ``quantity`` kg of the world's lot today, with a second canteen staff member."""
    people = world_with_people(session)
    world = people.world
    make_person(session, Role.canteen_staff, username=SECOND, school_id=world.school.id, display_name="食堂 刘示例")
    shipment = world.ship(session, quantity)
    session.commit()
    return people, shipment.id


def rows(session, model, **where) -> list:  # type: ignore[no-untyped-def]
    """Rows read and the read ended at once, so the live server may write (SQLite)."""
    session.expire_all()
    found = list(session.execute(select(model).filter_by(**where)).scalars())
    for row in found:
        session.expunge(row)  # read as it was: nothing more is loaded from the database
    session.rollback()
    return found


def signed_in_phone(browser, base: str, username: str, kept: str):  # type: ignore[no-untyped-def]
    """A phone signed in, its service worker controlling the page, and ``kept`` opened (so kept)."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    page = context.new_page()
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/canteen/deliveries")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(base + kept)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(base + kept)
    return context, page


def scan_offline(context, page, code: str) -> None:  # type: ignore[no-untyped-def]
    """The network goes; the kept page opens; a scanner gun types the code and Enter."""
    context.set_offline(True)
    page.reload()
    assert "离线，显示的是" in page.locator("[data-offline-banner]").inner_text()
    page.locator("#code").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def fill_and_queue(page, shipment_id: int) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"#door-{shipment_id} form[data-offline=receipt-check]")
    form.wait_for()
    form.locator("input[name=certificates_checked][value=检验报告]").check()
    form.locator("input[name=accepted_quantity]").fill("38")
    form.locator("input[name=rejected_quantity]").fill("2")
    form.locator("textarea[name=rejection_reason]").fill("两袋包装破损")
    form.locator("input[name=rejected_disposal][value=returned]").check()
    form.locator("button[type=submit]").click()
    page.locator("#offline-status").wait_for()
    assert page.locator("#offline-status").inner_text().startswith("已保存在本机，联网后自动提交 (1 条待同步)")


def test_an_offline_receive_by_scanner_gun_syncs_and_a_second_person_confirms_it_once(app, session, tmp_path):
    people, shipment_id = door_of_school(session)
    world = people.world
    lot_code, school_id, supplier = world.batch.lot_code, world.school.id, world.supplier.name
    session.rollback()
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people.canteen, "/canteen/receive")
        size = len(page.content().encode())

        scan_offline(context, page, "NOTTODAY9")
        assert page.locator("#door-missing").is_visible()
        assert "本机离线，未找到今天应到的这个批次" in page.locator("#door-missing").inner_text()

        page.fill("#code", "")
        page.locator("#code").focus()
        page.keyboard.type(lot_code)
        page.keyboard.press("Enter")
        section = page.locator(f"#door-{shipment_id}")
        assert section.is_visible() and lot_code in section.inner_text() and supplier in section.inner_text()
        assert not page.locator("#door-missing").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots(tmp_path) / "offline-receive-1-form-phone.png"), full_page=True)
        fill_and_queue(page, shipment_id)
        page.screenshot(path=str(shots(tmp_path) / "offline-receive-2-queued-phone.png"), full_page=True)
        assert rows(session, ReceiptCheck, school_id=school_id) == []

        context.set_offline(False)
        page.locator("#sync-status").wait_for()
        status = page.locator("#sync-status")
        assert "本机保存的 1 条操作已提交" in status.inner_text() and "1 张验收单待第二人复核确认" in status.inner_text()
        [check] = rows(session, ReceiptCheck, school_id=school_id)
        assert check.status.value == "open" and check.accepted_quantity == Decimal("38")
        assert status.get_by_role("link", name="去复核").get_attribute("href") == f"/canteen/receipt-checks/{check.id}"
        page.screenshot(path=str(shots(tmp_path) / "offline-receive-3-synced-phone.png"), full_page=True)

        page.goto(base + "/canteen/deliveries")  # 今日到货 lists the check waiting for its second checker
        page.locator(f"a[href='/canteen/receipt-checks/{check.id}']").first.click()
        page.wait_for_url(base + f"/canteen/receipt-checks/{check.id}")
        assert page.locator("#check-status").inner_text() == "待第二人复核"
        page.fill("#username", SECOND)
        page.fill("#password", TEST_PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="确认验收").last.click()
        assert page.locator("#check-status").inner_text() == "已复核确认"
        assert "食堂 王示例" in page.locator("#receipt").inner_text() and "食堂 刘示例" in page.locator("#receipt").inner_text()
        page.screenshot(path=str(shots(tmp_path) / "offline-receive-4-confirmed-phone.png"), full_page=True)

        page.goto(base + "/canteen/receive")  # a page load syncs again: nothing is left to send
        page.wait_for_load_state("networkidle")
        assert len(rows(session, Receipt, shipment_id=shipment_id)) == 1
        [stock] = rows(session, Stock, school_id=school_id)
        assert stock.on_hand == Decimal("38.000")
        context.close()
    print(f"/canteen/receive with one delivery due: {size} bytes")


def test_an_offline_receive_of_a_lot_held_meanwhile_is_refused_on_sync_shown_and_resolved(app, session, tmp_path):
    people, shipment_id = door_of_school(session)
    world = people.world
    lot_code, school_id = world.batch.lot_code, world.school.id
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people.canteen, "/canteen/receive")
        gtin = world.batch.gtin
        link = f"https://id.example.cn/01/{gtin}/10/{lot_code}"  # the label's QR, as a camera reads it
        scan_offline(context, page, link)
        # Codes are read on the phone as the server reads them (canteens.receipt_checks._lot_key).
        assert page.evaluate(f"window.traceReceive.lotKey('(01){gtin}(10){lot_code}')") == {"gtin": gtin,
                                                                                           "lot": lot_code}
        assert page.evaluate("window.traceReceive.lotKey('X'.repeat(21))") is None
        fill_and_queue(page, shipment_id)

        inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                               action="hold", reason="农残快检阳性，待复检")
        session.commit()
        session.rollback()
        context.set_offline(False)
        page.locator("#sync-status").wait_for()
        assert "1 条被拒" in page.locator("#sync-status").inner_text()
        assert rows(session, ReceiptCheck, school_id=school_id) == []

        page.locator("#sync-status").get_by_role("link", name="同步").click()
        page.wait_for_url(base + "/canteen/sync")
        refusal = page.locator("li.card.problem")
        text = refusal.inner_text()
        assert "验收" in text and lot_code in text and "封存" in text and "38" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots(tmp_path) / "offline-receive-refused-phone.png"), full_page=True)

        refusal.locator("input[name=note]").fill("已退回供应商")
        refusal.get_by_role("button", name="标记为已处理").click()
        page.wait_for_url(base + "/canteen/sync?resolved=1")
        assert page.locator("li.card.problem").count() == 0
        assert device_sync.refusals_waiting(session, school_id) == 0
        session.rollback()
        context.close()


def test_an_offline_use_into_lunch_by_typed_lot_code_syncs_once(app, session, tmp_path):
    people = world_with_people(session)
    world = stocked(session, people.world, "200")
    lunch = open_meal(session, world, dishes=("米饭",))
    lot_code, school_id = world.batch.lot_code, world.school.id
    with live_server(app) as base, chromium() as browser:
        context, page = signed_in_phone(browser, base, people.canteen, f"/canteen/meals/{lunch.id}")
        context.set_offline(True)
        page.reload()
        assert page.locator("[data-offline-banner]").is_visible()
        page.fill("#quantity", "20")
        page.select_option("#use_dish", "米饭")
        page.locator("#lot_code").type(lot_code)
        page.locator("#lot_code").press("Enter")
        page.locator("#offline-status").wait_for()
        assert "已保存在本机" in page.locator("#offline-status").inner_text()
        page.screenshot(path=str(shots(tmp_path) / "offline-meal-use-queued-phone.png"), full_page=True)
        assert rows(session, KitchenUse, school_id=school_id) == []

        context.set_offline(False)
        page.locator("#sync-status").wait_for()
        assert "本机保存的 1 条操作已提交" in page.locator("#sync-status").inner_text()
        page.reload()
        page.wait_for_load_state("networkidle")
        [use] = rows(session, KitchenUse, school_id=school_id)
        assert use.batch_id == world.batch.id and use.quantity == Decimal("20.000") and use.dish == "米饭"
        assert page.locator("#lots").get_by_text(lot_code).is_visible()
        page.screenshot(path=str(shots(tmp_path) / "offline-meal-use-synced-phone.png"), full_page=True)
        context.close()
