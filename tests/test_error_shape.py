"""Every error the API answers carries the documented body
``{"error": {"code", "message": {"zh-CN", "en"}, "details"}}``, including the refusals the
framework makes before any route runs; outside the API, people get a page, never raw JSON."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import bearer, make_world
from trace.errors import ErrorBody


def assert_documented_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert set(body["error"]["message"]) == {"zh-CN", "en"}, body
    ErrorBody.model_validate(body)
    assert body["error"]["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"]["zh-CN"])
    assert body["error"]["message"]["en"].isascii()
    return body["error"]


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def admin(session, world):
    return bearer(session, world.admin)


JSON = {"Content-Type": "application/json"}
SUPPLIER = '{"name": "示例粮油", "credit_code": "91370114MA3C4D5E6X", "contact": "王", "phone": "123"}'
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("method", "path", "content", "status", "code"), [
    pytest.param("GET", "/api/v1/no-such-thing", None, 404, "not_found", id="unknown-path"),
    pytest.param("GET", "/api/v1", None, 404, "not_found", id="api-root"),
    pytest.param("DELETE", "/api/v1/suppliers", None, 405, "method_not_allowed", id="wrong-method"),
    pytest.param("PUT", "/api/v1/batches/1/hold", None, 405, "method_not_allowed", id="wrong-method-with-id"),
    pytest.param("POST", "/api/v1/suppliers", SUPPLIER.encode("gbk"), 400, "body_not_parseable", id="not-utf8"),
    pytest.param("POST", "/api/v1/suppliers", DEEP.encode(), 400, "body_not_parseable", id="nested-too-deep"),
    pytest.param("POST", "/api/v1/suppliers", b'{"name": ', 422, "invalid_request", id="broken-json"),
    pytest.param("POST", "/api/v1/suppliers", b"{}", 422, "invalid_request", id="missing-fields"),
    pytest.param("GET", "/api/v1/batches/not-a-number", None, 422, "invalid_request", id="bad-path-id"),
    pytest.param("GET", "/api/v1/suppliers/999", None, 404, "supplier_not_found", id="no-such-row"),
    pytest.param("GET", "/api/v1/orders/abc%00def", None, 422, "control_character_in_text", id="control-char"),
])
def test_every_bad_request_is_answered_in_the_documented_shape(client, admin, method, path, content, status, code):
    response = client.request(method, path, content=content, headers={**admin, **JSON})

    assert_documented_error(response, status, code)


def test_an_unauthenticated_request_is_answered_in_the_documented_shape(client, world):
    assert_documented_error(client.get("/api/v1/suppliers"), 401, "not_authenticated")


def test_an_unknown_api_path_names_the_path(client, admin):
    error = assert_documented_error(client.get("/api/v1/no-such-thing", headers=admin), 404, "not_found")

    assert error["details"] == {"path": "/api/v1/no-such-thing"}


def test_a_wrong_method_names_the_methods_the_path_takes(client, admin):
    response = client.delete("/api/v1/suppliers", headers=admin)

    error = assert_documented_error(response, 405, "method_not_allowed")
    assert error["details"] == {"method": "DELETE", "allowed": ["GET", "POST"]}
    assert response.headers["allow"] == "GET, POST"


def test_a_body_that_is_not_utf8_is_named_unparseable_not_a_parse_detail(client, admin):
    response = client.post("/api/v1/suppliers", content=SUPPLIER.encode("gbk"), headers={**admin, **JSON})

    assert "detail" not in response.json()
    assert_documented_error(response, 400, "body_not_parseable")


def test_a_bug_is_answered_in_the_documented_shape(app, admin):
    @app.get("/api/v1/test-only-broken", include_in_schema=False)
    def broken():
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-only-broken", headers=admin)

    assert_documented_error(response, 500, "internal_error")
    assert "a bug" not in response.text  # the traceback is for the log, not the caller


def test_an_unknown_public_page_is_a_friendly_page_in_chinese(client):
    response = client.get("/public/no-such-page", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "页面不存在" in response.text and "请检查" in response.text
    assert '"detail"' not in response.text


def test_an_unknown_public_page_speaks_english_when_asked(client):
    response = client.get("/no-such-page?lang=en")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_wrong_method_on_a_public_page_is_a_page(client):
    response = client.post("/public/batches/1", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "无法处理此请求" in response.text


def test_an_unknown_public_path_asked_for_as_json_is_in_the_documented_shape(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert_documented_error(response, 404, "not_found")
