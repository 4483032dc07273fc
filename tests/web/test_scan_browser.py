"""Scanning a batch label's QR code in a real browser (Debian's chromium) on a 390×844 phone.

The label is the one the platform prints (``GET /api/v1/batches/{id}/label.png``), its QR code a
GS1 Digital Link URL. scan.js decodes it with the vendored jsQR, from an image and from a camera
(Chromium's fake camera, fed the label as video), fills the input with the whole text and submits
its form; every file it needs comes from this server.

Screenshots go to the test's temporary folder, or to ``TRACE_SCREENSHOTS`` when it names one.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image

from suppliers import labels
from tests.browser import chromium, live_server
from tests.factories import bearer
from tests.helpers import TEST_PASSWORD
from tests.web.work_world import People, world_with_people

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LABEL = "/api/v1/batches/{batch}/label.png?size=60x40&dpi=300"


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("TRACE_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def people(session) -> People:
    people = world_with_people(session)
    world = people.world
    world.receive(session, world.ship(session, "200"), "200")
    session.commit()
    return people


def label_uri(session, people: People) -> str:
    uri = labels.label_for_batch(session, people.world.batch).uri
    session.rollback()
    return uri


def sign_in(page, base: str, people: People) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/signin")
    page.fill("#username", people.canteen)
    page.fill("#password", TEST_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + "/canteen/deliveries")


def lot_code_form(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """A canteen page with a lot-code form as the receiving and meal pages have one (input[data-scan]);
    it looks the lot up as the front door does."""
    page.goto(base + "/canteen/uses")
    page.evaluate("""() => {
        const form = document.createElement("form");
        form.method = "get";
        form.action = "/lookup";
        form.className = "stacked";
        form.innerHTML = '<label for="lot">批号</label><input id="lot" name="lot" data-scan autocomplete="off">';
        document.querySelector("main h1").after(form);
        window.traceScan.enhance();
    }""")


def test_the_vendored_decoder_reads_the_printed_labels_qr_code_with_nothing_from_elsewhere(app, session, people,
                                                                                            tmp_path):
    uri = label_uri(session, people)
    with live_server(app) as base, chromium() as browser:
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        elsewhere: list[str] = []
        page.on("request", lambda request: None if request.url.startswith((base, "data:")) else elsewhere.append(request.url))
        sign_in(page, base, people)
        page.goto(base + "/canteen/uses")

        read = page.evaluate("""async (src) => {
            const img = new Image();
            img.src = src;
            await img.decode();
            return window.traceScan.decode(img, {vendored: true});
        }""", LABEL.format(batch=people.world.batch.id))

        assert read == uri  # the whole Digital Link URL, as printed
        assert page.evaluate("typeof window.jsQR") == "function"
        assert elsewhere == []
        context.close()


def fake_camera(label_png: bytes, path: Path) -> Path:
    """A Y4M video of the label held before the camera (Chromium's --use-file-for-fake-video-capture)."""
    width, height = 640, 480
    frame = Image.new("L", (width, height), 255)
    label = Image.open(BytesIO(label_png)).convert("L")
    label.thumbnail((width - 40, height - 40))
    frame.paste(label, ((width - label.width) // 2, (height - label.height) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def test_the_scan_button_reads_the_label_through_the_camera_fills_the_input_and_submits(
        app, client, session, people, tmp_path):
    uri = label_uri(session, people)
    png = client.get(LABEL.format(batch=people.world.batch.id), headers=bearer(session, people.world.staff)).content
    video = fake_camera(png, tmp_path / "label.y4m")
    camera = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}")
    with live_server(app) as base, chromium(*camera) as browser:
        context = browser.new_context(locale="zh-CN", **PHONE)
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        sign_in(page, base, people)
        lot_code_form(page, base)
        button = page.get_by_role("button", name="扫码")
        assert button.is_visible()
        page.screenshot(path=str(shots(tmp_path) / "scan-button-phone.png"), full_page=True)

        with page.expect_navigation(url=lambda url: "/lookup" in url, timeout=20000):
            button.click()

        assert parse_qs(urlparse(page.url).query)["lot"] == [uri]
        context.close()


def test_a_phone_without_a_camera_is_told_to_use_a_scanner_gun_or_type(app, session, people):
    with live_server(app) as base, chromium() as browser:
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        sign_in(page, base, people)
        lot_code_form(page, base)

        page.get_by_role("button", name="扫码").click()

        message = page.locator(".scan-message")
        message.wait_for()
        assert "扫码枪" in message.inner_text() and "手动输入" in message.inner_text()
        assert page.locator(".scan-panel").count() == 0
        context.close()


def test_a_scanner_gun_types_the_code_and_enter_submits_the_form(app, session, people):
    lot = people.world.batch.lot_code
    batch_id = people.world.batch.id
    session.rollback()
    with live_server(app) as base, chromium() as browser:
        page = browser.new_context(locale="zh-CN", **PHONE).new_page()
        sign_in(page, base, people)
        lot_code_form(page, base)

        page.locator("#lot").press_sequentially(lot, delay=5)  # a gun types fast, then Enter
        page.keyboard.press("Enter")

        page.wait_for_url(f"{base}/public/batches/{batch_id}")
