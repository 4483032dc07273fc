"""Hardening (issue 11, item 6): security headers on every response, a request body limit,
production refusing to start without its secrets, and JSON that stays readable UTF-8."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from canteens.models import Shipment
from tests.factories import bearer, make_world, today
from tests.helpers import assert_refused
from trace.app import create_app
from trace.checkpoints import load_or_create_signing_key
from trace.hardening import CONTENT_SECURITY_POLICY
from trace.models import CustodyEvent
from trace.resolver import batch_uri
from trace.settings import ProductionNotReady, Settings, get_settings

EVERY_RESPONSE = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def assert_secured(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (name, response.status_code, dict(response.headers))
    assert "strict-transport-security" not in response.headers  # plain HTTP: HSTS would mean nothing


# --- security headers ------------------------------------------------------------------------


def test_the_content_security_policy_allows_no_inline_script_and_no_other_origin():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_an_api_answer_carries_the_security_headers(client, session):
    world = make_world(session)
    response = client.get("/api/v1/me", headers=bearer(session, world.admin))
    assert response.status_code == 200
    assert_secured(response)


def test_an_api_refusal_carries_the_security_headers(client):
    response = client.get("/api/v1/batches/1")
    assert response.status_code == 401
    assert_secured(response)


def test_a_static_file_carries_the_security_headers(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert_secured(response)


def test_a_public_page_and_its_error_page_carry_the_security_headers(client, session):
    world = make_world(session)
    page = client.get(f"/public/batches/{world.batch.id}")
    missing = client.get("/public/batches/999999")
    assert (page.status_code, missing.status_code) == (200, 404)
    assert_secured(page)
    assert_secured(missing)


def test_a_resolver_redirect_carries_the_security_headers(client, session):
    world = make_world(session)
    response = client.get(urlsplit(batch_uri(world.batch)).path, headers={"Accept": "text/html"},
                          follow_redirects=False)
    assert response.status_code == 307
    assert_secured(response)


def test_even_a_server_error_carries_the_security_headers(engine):
    app = create_app(engine)

    @app.get("/api/v1/broken-on-purpose")
    def broken():  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/broken-on-purpose")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert_secured(response)


def test_hsts_only_when_the_request_came_over_https(app):
    with TestClient(app, base_url="https://trace.example.cn") as client:
        response = client.get("/static/site.css")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_the_templates_hold_no_inline_script_or_style_the_policy_would_block():
    from trace.settings import PROJECT_ROOT

    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)  # onclick= and the like
    inline_style = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)
    templates = list((PROJECT_ROOT / "trace" / "templates").glob("**/*.html"))
    assert templates
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for rule in (inline_script, handler, inline_style):
            assert not rule.search(text), (template.name, rule.search(text))


# --- the request body limit ------------------------------------------------------------------


@pytest.fixture
def small_limit_app(engine, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(get_settings(), "max_body_bytes", 2000)
    return create_app(engine)


def _shipment_body(world, size: int) -> bytes:  # type: ignore[no-untyped-def]
    """A valid shipment, padded with JSON whitespace to exactly ``size`` bytes."""
    body = json.dumps({"batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": "10",
                       "unit": "kg", "ship_date": today().isoformat()}).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _written(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    counts = (session.execute(select(func.count()).select_from(Shipment)).scalar_one(),
              session.execute(select(func.count()).select_from(CustodyEvent)).scalar_one())
    session.commit()  # end the read: on SQLite it holds the write lock the app needs
    return counts


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_written(small_limit_app, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Content-Type": "application/json"}
    body = _shipment_body(world, 2001)
    before = _written(session)
    with TestClient(small_limit_app) as client:
        response = client.post("/api/v1/shipments", content=body, headers=headers)
    error = assert_refused(response, 413, "body_too_large")
    assert error["details"] == {"limit_bytes": 2000, "received_bytes": 2001}
    assert_secured(response)
    assert _written(session) == before


def test_the_same_request_at_the_limit_goes_through(small_limit_app, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Content-Type": "application/json"}
    body = _shipment_body(world, 2000)
    before = _written(session)
    with TestClient(small_limit_app) as client:
        response = client.post("/api/v1/shipments", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert _written(session)[0] == before[0] + 1


def test_a_streamed_body_without_a_length_is_counted_as_it_arrives(small_limit_app, session):
    world = make_world(session)
    headers = {**bearer(session, world.supplier_user), "Content-Type": "application/json"}
    body = _shipment_body(world, 5000)
    before = _written(session)

    def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 700):
            yield body[start:start + 700]

    with TestClient(small_limit_app) as client:
        response = client.post("/api/v1/shipments", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}  # really streamed
    assert_refused(response, 413, "body_too_large")
    assert _written(session) == before


def test_an_announced_length_over_the_limit_is_refused_before_the_body_is_read(small_limit_app):
    with TestClient(small_limit_app) as client:
        response = client.post("/api/v1/shipments", content=b"{}", headers={"Content-Length": "10000000"})
    error = assert_refused(response, 413, "body_too_large")
    assert error["details"]["received_bytes"] == 10_000_000


def test_outside_the_api_a_body_too_large_gets_a_page(small_limit_app):
    with TestClient(small_limit_app) as client:
        response = client.post("/public/batches/1", content=b"x" * 3000)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "请求体过大" in response.text
    assert_secured(response)


# --- production refuses to start without its secrets -----------------------------------------


PRODUCTION_ENV = ("TRACE_ENV", "TRACE_SECRET_KEY", "TRACE_CHECKPOINT_KEY_PATH", "TRACE_RESOLVER_BASE_URL")


@pytest.fixture
def production(monkeypatch):  # type: ignore[no-untyped-def]
    """Production settings from the environment, starting with none of its secrets set."""
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACE_ENV", "production")

    def settings(**env: str) -> Settings:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        made = Settings(_env_file=None)
        monkeypatch.setattr("trace.app.get_settings", lambda: made)
        monkeypatch.setattr("trace.checkpoints.get_settings", lambda: made)
        return made

    return settings


def test_production_without_its_secrets_refuses_to_start_naming_each(production, engine):
    production()
    with pytest.raises(ProductionNotReady) as refused:
        create_app(engine)
    message = str(refused.value)
    assert len(refused.value.problems) == 3
    for name in ("TRACE_SECRET_KEY", "TRACE_CHECKPOINT_KEY_PATH", "TRACE_RESOLVER_BASE_URL"):
        assert name in message


def test_production_refuses_a_checkpoint_key_path_that_does_not_exist(production, engine, tmp_path):
    production(TRACE_SECRET_KEY="k" * 40, TRACE_CHECKPOINT_KEY_PATH=str(tmp_path / "nowhere.pem"),
               TRACE_RESOLVER_BASE_URL="https://trace.zhangqiu.example.cn")
    with pytest.raises(ProductionNotReady) as refused:
        create_app(engine)
    (problem,) = refused.value.problems
    assert "nowhere.pem" in problem and "does not exist" in problem
    assert not (tmp_path / "nowhere.pem").exists()  # and it was not made either


@pytest.mark.parametrize("url", ["http://trace.zhangqiu.example.cn", "https://127.0.0.1:8000", "https://localhost"])
def test_production_refuses_a_resolver_address_no_phone_can_reach_safely(production, tmp_path, url):
    key = tmp_path / "checkpoint.pem"
    load_or_create_signing_key(key)
    settings = production(TRACE_SECRET_KEY="k" * 40, TRACE_CHECKPOINT_KEY_PATH=str(key), TRACE_RESOLVER_BASE_URL=url)
    (problem,) = settings.production_problems()
    assert "TRACE_RESOLVER_BASE_URL" in problem


def test_production_refuses_a_short_secret(production, tmp_path):
    key = tmp_path / "checkpoint.pem"
    load_or_create_signing_key(key)
    settings = production(TRACE_SECRET_KEY="secret", TRACE_CHECKPOINT_KEY_PATH=str(key),
                          TRACE_RESOLVER_BASE_URL="https://trace.zhangqiu.example.cn")
    (problem,) = settings.production_problems()
    assert "TRACE_SECRET_KEY" in problem


def test_production_with_every_secret_set_starts(production, engine, tmp_path):
    key = tmp_path / "checkpoint.pem"
    load_or_create_signing_key(key)
    production(TRACE_SECRET_KEY="k" * 40, TRACE_CHECKPOINT_KEY_PATH=str(key),
               TRACE_RESOLVER_BASE_URL="https://trace.zhangqiu.example.cn")
    with TestClient(create_app(engine)) as client:
        assert client.get("/static/site.css").status_code == 200


def test_production_never_creates_a_checkpoint_key(production, tmp_path):
    production()
    with pytest.raises(RuntimeError, match="missing"):
        load_or_create_signing_key(tmp_path / "new.pem")
    assert not (tmp_path / "new.pem").exists()


def test_in_development_a_random_secret_is_made_once_and_kept_private(tmp_path):
    first = Settings(_env_file=None, data_dir=tmp_path / "a")
    secret = first.signing_secret()
    assert len(secret) >= 32
    assert Settings(_env_file=None, data_dir=tmp_path / "a").signing_secret() == secret  # survives a restart
    assert Settings(_env_file=None, data_dir=tmp_path / "b").signing_secret() != secret  # never a constant
    assert os.stat(tmp_path / "a" / "secret-key").st_mode & 0o777 == 0o600
    assert list((tmp_path / "a").iterdir()) == [tmp_path / "a" / "secret-key"]  # no draft left behind


def test_a_secret_key_set_explicitly_is_used_as_given(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="s" * 40)
    assert settings.signing_secret() == "s" * 40
    assert not (tmp_path / "secret-key").exists()


# --- JSON readable as UTF-8 ------------------------------------------------------------------


def test_a_chinese_error_is_sent_as_utf8_text_not_escapes(client, session):
    world = make_world(session)
    response = client.get("/api/v1/schools/999999", headers=bearer(session, world.admin))
    assert response.status_code == 404
    assert "不存在".encode() in response.content
    assert b"\\u" not in response.content
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_a_validation_error_and_a_framework_refusal_are_utf8_too(client):
    for response in (client.post("/api/v1/shipments", content=b"{", headers={"Content-Type": "application/json"}),
                     client.get("/api/v1/no-such-thing")):
        assert response.status_code in (400, 401, 404, 422)
        assert b"\\u" not in response.content
        assert response.json()["error"]["message"]["zh-CN"].encode() in response.content
        assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_an_idempotent_replay_is_utf8_text_as_the_first_answer_was(client, session):
    world = make_world(session)
    headers = {**bearer(session, world.admin), "Idempotency-Key": "token-for-staff"}
    first = client.post(f"/api/v1/users/{world.staff.id}/tokens", json={"name": "门口平板"}, headers=headers)
    again = client.post(f"/api/v1/users/{world.staff.id}/tokens", json={"name": "门口平板"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert world.staff.display_name.encode() in again.content
    assert b"\\u" not in again.content
    assert again.headers["content-type"] == "application/json; charset=utf-8"
