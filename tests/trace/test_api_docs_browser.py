"""The API documentation works on a network that reaches only the platform."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser import chromium, live_server

pytestmark = pytest.mark.browser


def _offline_page(browser, base: str):  # type: ignore[no-untyped-def]
    """A page whose every request to anywhere but the live server is cut off, and remembered."""
    page = browser.new_page()
    own = urlsplit(base).netloc
    cut_off: list[str] = []
    problems: list[str] = []

    def route(request_route):  # type: ignore[no-untyped-def]
        url = request_route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own:
            cut_off.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    page.route("**/*", route)
    # A Content-Security-Policy refusal is reported on the console.
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, cut_off, problems


def test_swagger_ui_renders_every_operation_offline(app):
    with live_server(app) as base, chromium() as browser:
        page, cut_off, problems = _offline_page(browser, base)
        page.goto(base + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/shipments" in paths
        assert len(paths) == sum(len(ops) for ops in app.openapi()["paths"].values())
        assert cut_off == []
        assert problems == []


def test_redoc_renders_the_operations_offline(app):
    with live_server(app) as base, chromium() as browser:
        page, cut_off, problems = _offline_page(browser, base)
        page.goto(base + "/redoc")
        page.wait_for_selector("[data-section-id^='tag/']", timeout=20_000)
        assert page.get_by_text("/api/v1/shipments").count() > 0
        assert cut_off == []
        # ReDoc's sidebar always asks for its maker's logo from cdn.redoc.ly; the page's policy stops
        # that request before it leaves the browser (and ReDoc then leaves the logo out).
        logo = [p for p in problems if "cdn.redoc.ly/redoc/logo-mini.svg" in p and "Content Security Policy" in p]
        assert [p for p in problems if p not in logo] == []
