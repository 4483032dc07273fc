"""The API documentation pages load everything from the platform itself, never from a CDN."""

from __future__ import annotations

import re

import pytest

from trace.hardening import CONTENT_SECURITY_POLICY

ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', re.IGNORECASE)


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_page_names_no_other_origin(client, page):
    response = client.get(page)
    assert response.status_code == 200
    assert _assets(response.text), "the page loads its scripts and styles from somewhere"
    for url in _assets(response.text):
        assert url.startswith("/static/"), url
    assert "http://" not in response.text and "https://" not in response.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_file_the_documentation_page_names_is_served(client, page):
    for url in _assets(client.get(page).text):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 0, url


def test_swagger_ui_starts_without_inline_script_under_the_strict_policy(client):
    response = client.get("/docs")
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) is None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_redoc_may_style_itself_but_runs_only_our_scripts(client):
    policy = client.get("/redoc").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"


def test_the_vendored_files_keep_their_licences(client):
    for folder in ("swagger-ui-dist-5.35.0", "redoc-2.5.4"):
        assert client.get(f"/static/vendor/{folder}/LICENSE").status_code == 200


def test_the_documentation_pages_are_not_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths and "/redoc" not in paths
