"""A phone browser opening a batch QR lands on the batch page in its language."""

from __future__ import annotations

import pytest

from tests.browser import chromium, live_server
from tests.factories import make_world
from trace.resolver import batch_uri
from trace.settings import get_settings

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/126.0 Mobile Safari/537.36 MicroMessenger/8.0"}


def test_a_phone_opening_the_qr_uri_sees_the_chinese_batch_page(app, session, tmp_path, monkeypatch):
    world = make_world(session)
    with live_server(app) as base, chromium() as browser:
        monkeypatch.setattr(get_settings(), "resolver_base_url", base)  # the QR names this server
        uri = batch_uri(world.batch)
        assert uri.startswith(base + "/01/")
        page = browser.new_page(locale="zh-CN", **PHONE)
        response = page.goto(uri)
        assert response.ok
        assert page.url.endswith(f"/public/batches/{world.batch.id}?lang=zh-CN")
        assert page.locator("h1").inner_text() == world.product.name
        assert page.get_by_text("批号").is_visible()
        assert page.get_by_text(world.batch.lot_code).first.is_visible()
        # Nothing wider than the phone: no sideways scrolling on a 390 px screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "batch-page-phone.png"), full_page=True)


def test_an_english_phone_gets_the_english_page(app, session, monkeypatch):
    world = make_world(session)
    with live_server(app) as base, chromium() as browser:
        monkeypatch.setattr(get_settings(), "resolver_base_url", base)
        page = browser.new_page(locale="en-US", **PHONE)
        page.goto(batch_uri(world.batch))
        assert page.get_by_text("Batch traceability record").is_visible()
        assert page.get_by_role("link", name="中文").is_visible()


def test_a_bad_code_shows_a_friendly_chinese_page_in_the_browser(app, session):
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(locale="zh-CN", **PHONE)
        response = page.goto(base + "/01/06970000000117/10/X")
        assert response.status == 400
        assert page.locator("h1").inner_text() == "这不是有效的批次二维码"
