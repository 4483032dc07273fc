"""An administrator's pages in a real browser, on a phone and on a desktop, with screenshots."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from suppliers import service as supplier_service
from suppliers.models import SupplierStatus
from suppliers.schemas import LicenceCreate, SupplierStanding
from tests.browser import chromium, live_server
from tests.factories import bearer, days_ago, make_person, make_supplier, make_user, make_world, today
from tests.helpers import TEST_PASSWORD
from trace.accounts import system_actor
from trace.models import Role

pytestmark = pytest.mark.browser

SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                   "has_touch": True},
         "desktop": {"viewport": {"width": 1280, "height": 800}}}


def _district(session) -> None:
    world = make_world(session)
    make_person(session, Role.admin, username="guanli")
    make_person(session, Role.inspector, username="jianguan")
    late = make_supplier(session, name="章丘区示例粮油经营部", licences=[LicenceCreate(
        kind="food_business", number="JY13701140000888", issued_on=days_ago(1700),
        expires_on=today() + timedelta(days=21))])
    suspended, listed = make_supplier(session, name="示例蔬菜配送中心"), make_supplier(session, name="示例肉类批发商行")
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=suspended.id,
                                           data=SupplierStanding(status=SupplierStatus.suspended, note="抽检不合格"))
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=listed.id,
                                           data=SupplierStanding(dishonest=True, note="列入失信名单"))
    make_user(session, Role.supplier, username="liangyou-1", display_name="刘经理", supplier_id=late.id)
    bearer(session, world.staff)
    session.commit()


def _sign_in(page, base: str, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


@pytest.mark.parametrize("size", SIZES)
def test_an_admin_works_through_accounts_audit_and_registers(app, session, tmp_path, size):
    shots = Path(os.environ.get("TRACE_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    _district(session)
    width = SIZES[size]["viewport"]["width"]
    with live_server(app) as base, chromium() as browser:
        stranger = browser.new_page(locale="zh-CN", **SIZES[size])
        _sign_in(stranger, base, "jianguan", "Not-The-Password-1")  # a failure the audit log must show
        assert stranger.locator("#signin-error").is_visible()
        stranger.close()

        page = browser.new_page(locale="zh-CN", **SIZES[size])
        _sign_in(page, base, "guanli")
        assert page.url.endswith("/admin/accounts")
        _fits(page, width)
        page.screenshot(path=str(shots / f"admin-accounts-{size}.png"), full_page=True)

        page.click("text=新建账号")
        page.fill("#username", f"shitang-{size}")
        page.fill("#display_name", "李师傅")
        page.select_option("#role", "canteen_staff")
        page.select_option("#binding", index=1)
        page.click("text=创建账号")
        assert page.locator("#secret code").inner_text().strip()
        assert page.get_by_text("账号已创建").is_visible()
        _fits(page, width)
        page.screenshot(path=str(shots / f"admin-account-{size}.png"), full_page=True)
        page.reload()
        assert page.locator("#secret").count() == 0  # shown once

        page.goto(base + "/admin/audit")
        assert page.locator("table.audit").get_by_text("登录被拒（密码错误）").first.is_visible()
        _fits(page, width)
        page.screenshot(path=str(shots / f"admin-audit-{size}.png"), full_page=True)

        page.goto(base + "/admin/suppliers")
        assert page.get_by_text("列入严重违法失信名单").first.is_visible()
        _fits(page, width)
        page.screenshot(path=str(shots / f"admin-suppliers-{size}.png"), full_page=True)

        for path in ("/admin/schools", "/admin/products"):
            page.goto(base + path)
            _fits(page, width)
            page.screenshot(path=str(shots / f"admin-{path.rsplit('/', 1)[1]}-{size}.png"), full_page=True)
