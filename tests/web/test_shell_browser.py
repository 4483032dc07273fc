"""The shell in a real browser (Debian's chromium), on a 390×844 phone and a 1280×800 desktop:
signing in, a wrong password, the lock-out, a forged form, each role's navigation.

Screenshots go to the test's tmp dir, and to $TRACE_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import chromium, live_server
from tests.factories import make_person, make_school, make_supplier
from tests.helpers import TEST_PASSWORD
from trace.models import Role
from trace.settings import get_settings

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
NAVIGATION = {
    "shitang": ("/canteen/deliveries", ["今日到货", "扫码验收", "库存", "厨房领用", "餐次", "留样"]),
    "gongying": ("/supplier/orders", ["订单", "批次", "发货", "标签"]),
    "jianguan": ("/inspect/search", ["查询追溯", "链校验", "封存与召回"]),
    "guanli": ("/admin/accounts", ["账号", "学校", "供应商", "产品", "审计日志"]),
}


@pytest.fixture
def people(session):
    school, supplier = make_school(session), make_supplier(session)
    make_person(session, Role.canteen_staff, username="shitang", school_id=school.id, display_name="李食堂")
    make_person(session, Role.supplier, username="gongying", supplier_id=supplier.id, display_name="王供应")
    make_person(session, Role.inspector, username="jianguan", display_name="张监管")
    make_person(session, Role.admin, username="guanli", display_name="平台管理员")
    session.commit()


def shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if target := os.environ.get("TRACE_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


def open_page(browser, screen: str, *, javascript: bool = False):  # type: ignore[no-untyped-def]
    # Without JavaScript: every form and the phone menu must work without it.
    context = browser.new_context(locale="zh-CN", java_script_enabled=javascript, **SCREENS[screen])
    return context.new_page()


def sign_in(page, base: str, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")


@pytest.mark.parametrize("screen", SCREENS)
def test_signing_in_lands_on_the_roles_first_page(app, people, tmp_path, screen):
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, screen)
        page.goto(base + "/")
        shot(page, tmp_path, f"home-{screen}")
        assert page.get_by_role("link", name="工作人员登录（食堂、供应商、监管人员）").is_visible()
        sign_in(page, base, "jianguan")
        assert page.url == base + "/inspect/search"
        assert page.get_by_text("张监管").is_visible() and page.get_by_text("市场监管人员").first.is_visible()
        assert page.get_by_role("button", name="退出登录").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["viewport"]["width"]
        shot(page, tmp_path, f"signed-in-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_wrong_password_shows_a_clear_message_and_keeps_the_username(app, people, tmp_path, screen):
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, screen)
        sign_in(page, base, "jianguan", "Not-The-Password-1")
        assert page.locator("#signin-error").inner_text() == "用户名或密码不正确"
        assert page.input_value("#username") == "jianguan"
        shot(page, tmp_path, f"wrong-password-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_lock_out_says_when_to_try_again(app, people, tmp_path, screen, monkeypatch):
    monkeypatch.setattr(get_settings(), "sign_in_account_slow_after", 50)  # straight to the lock, no waits
    monkeypatch.setattr(get_settings(), "sign_in_account_lock_after", 3)
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, screen)
        for _ in range(3):
            sign_in(page, base, "jianguan", "Not-The-Password-1")
        message = page.locator("#signin-error").inner_text()
        assert "登录失败次数过多，已暂时锁定" in message and "之后再试" in message
        sign_in(page, base, "jianguan")  # the right password waits too
        assert page.url.startswith(base + "/signin") and "已暂时锁定" in page.locator("#signin-error").inner_text()
        shot(page, tmp_path, f"locked-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_form_posted_without_its_csrf_token_is_refused(app, people, tmp_path, screen):
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, screen, javascript=True)
        sign_in(page, base, "jianguan")
        page.goto(base + "/account/password")
        page.evaluate("document.querySelector('form.stacked input[name=csrf_token]').remove()")
        page.fill("#current", TEST_PASSWORD)
        page.fill("#new", "Steamed-Buns-At-Six")
        page.fill("#confirm", "Steamed-Buns-At-Six")
        page.click("form.stacked button[type=submit]")
        assert page.locator("h1").inner_text() == "表单未被接受"
        assert page.get_by_text("安全令牌").is_visible()
        shot(page, tmp_path, f"csrf-refused-{screen}")


@pytest.mark.parametrize("username", NAVIGATION)
def test_each_roles_navigation_is_a_bar_on_a_desktop(app, people, tmp_path, username):
    home, labels = NAVIGATION[username]
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, "desktop")
        sign_in(page, base, username)
        assert page.url == base + home
        bar = page.locator("nav.roles")
        assert bar.is_visible() and not page.locator("details.menu").is_visible()
        assert [a.strip() for a in bar.locator("a").all_inner_texts()] == labels
        shot(page, tmp_path, f"nav-{username}-desktop")


@pytest.mark.parametrize("username", NAVIGATION)
def test_each_roles_navigation_is_a_menu_on_a_phone_that_opens_without_javascript(app, people, tmp_path, username):
    home, labels = NAVIGATION[username]
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, "phone")
        sign_in(page, base, username)
        assert not page.locator("nav.roles").is_visible()
        menu = page.locator("details.menu")
        assert not menu.get_by_role("link", name=labels[0]).is_visible()
        menu.locator("summary").click()
        assert [a.strip() for a in menu.locator("a").all_inner_texts()] == labels
        assert menu.get_by_role("link", name=labels[-1]).is_visible()
        shot(page, tmp_path, f"nav-{username}-phone")
        menu.get_by_role("link", name=labels[0]).click()
        assert page.url == base + home


def test_signing_out_returns_to_the_public_home(app, people, tmp_path):
    with live_server(app) as base, chromium() as browser:
        page = open_page(browser, "phone")
        sign_in(page, base, "guanli")
        page.get_by_role("button", name="退出登录").click()
        assert page.url == base + "/"
        assert page.get_by_role("heading", name="查询批次").is_visible()
        page.goto(base + "/account/password")
        assert page.url.startswith(base + "/signin?next=")
