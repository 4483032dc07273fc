"""Each role signs in with a real browser and opens its work pages on a phone and on a desktop.

The screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one
(to look at them).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from canteens import service as canteen_service
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from tests.browser import chromium, live_server
from tests.factories import make_batch, make_order_line, make_product, today
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import People, world_with_people
from trace import checkpoints
from trace.custody import Actor

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def _busy_day(session) -> tuple[People, dict[str, int]]:
    """A school day: a delivery received, one in transit, one not shipped, a sealed lot in stock, a use."""
    people = world_with_people(session)
    world = people.world
    received = world.ship(session, "200")
    world.receive(session, received, "200")
    in_transit = world.ship(session, "100")
    oil = make_product(session, name="示例大豆油", category="食用油", unit="L", conversions={"桶": Decimal("5")})
    make_order_line(session, world.school, world.supplier, oil, quantity=Decimal("20"), unit="L")
    flour_line = make_order_line(session, world.school, world.supplier, world.product)
    sealed = make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user), lot_code="MS251101S")
    world.receive(session, world.ship(session, "50", batch_id=sealed.id, order_line_id=flour_line.id), "50")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=sealed.id,
                                           action="hold", reason="农残快检阳性，待复检")
    canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal("25"), unit="kg", use_date=today(), meal="lunch", dish="米饭"))
    checkpoints.checkpoint_create(session, key=checkpoints.load_or_create_signing_key())
    session.commit()
    return people, {"shipment": received.id, "in_transit": in_transit.id, "batch": world.batch.id}


PAGES = {
    "canteen": ["/canteen/deliveries", "/canteen/shipments/{shipment}", "/canteen/shipments/{in_transit}",
                "/canteen/stock", "/canteen/uses"],
    "supplier": ["/supplier/orders", "/supplier/batches", "/supplier/batches/{batch}", "/supplier/shipments",
                 "/supplier/labels"],
    "inspector": ["/inspect/search", "/inspect/search?q={lot}", "/inspect/batches/{batch}", "/inspect/chains", "/inspect/holds"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_each_role_signs_in_and_opens_its_pages_on_a_phone_and_a_desktop(app, session, tmp_path, role):
    people, ids = _busy_day(session)
    ids["lot"] = people.world.batch.lot_code
    shots = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with live_server(app) as base, chromium() as browser:
        for size, device in (("phone", PHONE), ("desktop", DESKTOP)):
            page = browser.new_page(locale="zh-CN", **device)
            page.goto(base + "/signin")
            page.fill("#username", getattr(people, role))
            page.fill("#password", TEST_PASSWORD)
            page.locator("main button[type=submit]").click()
            page.wait_for_load_state()
            assert page.url == base + PAGES[role][0].split("?")[0].format(**ids)  # the role's first page
            for n, path in enumerate(PAGES[role]):
                response = page.goto(base + path.format(**ids))
                assert response.status == 200, (path, response.status)
                assert page.locator("h1").first.is_visible()
                # Nothing wider than the screen: tables become cards on a phone.
                assert page.evaluate("document.documentElement.scrollWidth") <= device["viewport"]["width"], path
                page.screenshot(path=str(shots / f"{role}-{n}-{size}.png"), full_page=True)
            page.close()


def test_the_kitchen_use_form_works_without_javascript(app, session):
    people, _ = _busy_day(session)
    with live_server(app) as base, chromium() as browser:
        context = browser.new_context(locale="zh-CN", java_script_enabled=False, **PHONE)
        page = context.new_page()
        page.goto(base + "/signin")
        page.fill("#username", people.canteen)
        page.fill("#password", TEST_PASSWORD)
        page.locator("main button[type=submit]").click()
        page.goto(base + "/canteen/uses")
        page.select_option("#batch_id", str(people.world.batch.id))
        page.fill("#quantity", "3.5")
        page.check("input[name=meal][value=dinner]")
        page.fill("#dish", "蛋炒饭")
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_load_state()
        assert "recorded=1" in page.url
        assert page.get_by_text("领用已记录").is_visible()
        assert page.get_by_text("蛋炒饭").is_visible()
        context.close()
