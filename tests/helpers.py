"""Assertions and steps shared by API and page tests."""

from __future__ import annotations

import re
from typing import Any


def assert_refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """A refusal is a 4xx with a machine-readable code and a zh-CN and English message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]["zh-CN"] and error["message"]["en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]["zh-CN"]), "zh-CN message has no Chinese"
    return error


# The password test people get (tests.factories.make_person); meets every rule.
TEST_PASSWORD = "Kitchen-Ledger-42"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The hidden CSRF token of the (first) form on a page."""
    found = _CSRF_FIELD.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def sign_in(client: Any, username: str, password: str = TEST_PASSWORD, *, next: str = "") -> Any:
    """Sign in through the form as a browser does; the client keeps the session cookie.

    Returns the POST's response (a 303 on success; the form again with a message on failure).
    """
    page = client.get("/signin")
    return client.post("/signin", data={"username": username, "password": password, "next": next,
                                        "csrf_token": form_token(page.text)}, follow_redirects=False)


def session_csrf(client: Any) -> str:
    """The signed-in session's CSRF token (forms' hidden field; X-CSRF-Token for the API by cookie)."""
    return form_token(client.get("/account/password").text)
