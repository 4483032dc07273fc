"""The API documentation pages, served from the platform itself.

Swagger UI (``/docs``) and ReDoc (``/redoc``) come from ``static/vendor/`` (unmodified npm
releases with their licences, see ``static/vendor/README.md``), never from a CDN: the
documentation works on a network that reaches only the platform, and no third party
learns who reads it. FastAPI's own ``/docs`` page starts Swagger UI with an inline script;
ours loads ``static/docs/swagger-init.js`` instead, so the page keeps the strict
Content-Security-Policy of every other page.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

from trace.policy import public

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.35.0"
REDOC = "/static/vendor/redoc-2.5.4"
# ReDoc styles itself with <style> elements it writes at run time, and searches in a worker
# it starts from a blob: URL. Still only our own scripts.
REDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False,
                   dependencies=[public("the API documentation describes the API, not its data")])


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    title = escape(f"{request.app.title} — Swagger UI")
    openapi_url = escape(request.app.openapi_url or "/openapi.json")
    return HTMLResponse(f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
<link rel="icon" type="image/png" href="{SWAGGER_UI}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script>
</body>
</html>
""")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=escape(f"{request.app.title} — ReDoc"),
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        with_google_fonts=False,
    )
    page.headers["content-security-policy"] = REDOC_CONTENT_SECURITY_POLICY
    return page
