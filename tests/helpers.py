"""Assertions shared by API tests."""

from __future__ import annotations

from typing import Any


def assert_refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """A refusal is a 4xx with a machine-readable code and a zh-CN and English message."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]["zh-CN"] and error["message"]["en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]["zh-CN"]), "zh-CN message has no Chinese"
    return error
