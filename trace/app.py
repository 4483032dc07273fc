"""The composition root: builds the ASGI app from every domain's routers.

``uvicorn trace.app:app`` (from the project root) serves it; configuration comes
from the environment (see ``trace.settings``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from trace.guard import PROJECT_ROOT, ensure_project_trace

ensure_project_trace()

from canteens.admin_pages import router as canteens_admin_router  # noqa: E402
from canteens.api import router as canteens_router  # noqa: E402
from canteens.correction_pages import router as correction_pages  # noqa: E402
from canteens.corrections_api import router as corrections_router  # noqa: E402
from canteens.meal_pages import router as meal_pages  # noqa: E402
from canteens.meals_api import router as meals_router  # noqa: E402
from canteens.pages import router as canteen_pages  # noqa: E402
from canteens.receipt_checks_api import router as receipt_checks_router  # noqa: E402
from canteens.receiving_pages import router as receiving_pages  # noqa: E402
from canteens.sync_api import router as sync_router  # noqa: E402
from canteens.sync_pages import router as sync_pages  # noqa: E402
from exports.api import router as exports_router  # noqa: E402
from inspections.api import router as inspections_router  # noqa: E402
from inspections.models import TEST_KIND_LABELS  # noqa: E402
from inspections.rapid_tests import RAPID_TESTS  # noqa: E402
from suppliers.admin_pages import router as suppliers_admin_router  # noqa: E402
from suppliers.api import router as suppliers_router  # noqa: E402
from suppliers.pages import router as supplier_pages  # noqa: E402
from trace import registry  # noqa: E402,F401
from trace.api import router as trace_router  # noqa: E402
from trace.api_docs import router as api_docs_router  # noqa: E402
from trace.batch_reads import router as batch_reads_router  # noqa: E402
from trace.custody import Actor  # noqa: E402
from trace.db import (
    make_engine,  # noqa: E402
    reading,  # noqa: E402
)
from trace.deps import PASSWORD_CHANGE_PATH, PasswordChangeRequired, Unauthenticated, web_visit  # noqa: E402
from trace.errors import DomainError, ErrorBody, framework_error  # noqa: E402
from trace.hardening import BodyLimit, secure_every_response  # noqa: E402
from trace.i18n import translations  # noqa: E402
from trace.jobs import start_scheduler  # noqa: E402
from trace.meal_reads import router as meal_reads_router  # noqa: E402
from trace.pages import current_actor, page_locale, render_page, see_other  # noqa: E402
from trace.resolver import error_page  # noqa: E402
from trace.resolver import router as resolver_router  # noqa: E402
from trace.sessions import COOKIE_NAME  # noqa: E402
from trace.settings import ensure_production_ready, get_settings  # noqa: E402
from trace.text_guard import TextGuard  # noqa: E402
from web.admin import router as admin_router  # noqa: E402
from web.admin_audit import router as audit_router  # noqa: E402
from web.drill_pages import api as drills_router  # noqa: E402
from web.drill_pages import router as drill_pages  # noqa: E402
from web.inspect import router as inspect_pages  # noqa: E402
from web.inspect_tests import router as inspect_test_pages  # noqa: E402
from web.meal_trace import router as meal_trace_pages  # noqa: E402
from web.navigation import navigation_for  # noqa: E402
from web.pages import router as web_router  # noqa: E402
from web.public_schools import router as public_schools_router  # noqa: E402
from web.pwa import router as pwa_router  # noqa: E402
from web.test_results_api import router as test_results_router  # noqa: E402
from web.work_reads import router as work_read_pages  # noqa: E402

log = logging.getLogger("trace")

API_PREFIX = "/api/v1"

DESCRIPTION = """
章丘区中小学、幼儿园食堂大宗食材安全管理追溯平台 — the chain of custody for bulk ingredients
from supplier to school canteen: batches, orders, shipments, receipts, use in the kitchen and tests,
kept as hash-chained, signed custody events.

Authenticate with `Authorization: Bearer <token>` (create tokens with `python -m trace token create`).
Every POST accepts an `Idempotency-Key` header: a retry with the same key returns the first result.
Errors are JSON: `{"error": {"code": "...", "message": {"zh-CN": "...", "en": "..."}, "details": {...}}}`,
also for an unknown path (`not_found`), a method the path does not take (`method_not_allowed`) and a body
that cannot be read (`body_not_parseable`). Text holding a control character (other than tab and line breaks)
is refused in every field with 422 `control_character_in_text`.
"""

ERROR_RESPONSES: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "Body cannot be parsed (not UTF-8 JSON, nested too deeply) / 请求体无法解析"},
    401: {"model": ErrorBody, "description": "Not authenticated / 未认证"},
    403: {"model": ErrorBody, "description": "Not allowed for this role or party / 无权限"},
    404: {"model": ErrorBody, "description": "Not found / 不存在"},
    409: {"model": ErrorBody, "description": "Breaks a custody rule in the current state / 违反追溯规则"},
    422: {"model": ErrorBody, "description": "Invalid input / 输入无效"},
}


def _error(status: int, code: str, zh: str, en: str, **details) -> JSONResponse:
    return JSONResponse(DomainError(code, zh, en, status=status, **details).as_body(), status_code=status)


def _is_batch_link(path: str) -> bool:
    return path.startswith(("/01/", "/public/batches/"))


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and ("application/json" in accept or "+json" in accept)


def _page_refusal(request: Request, error: DomainError, headers: Mapping[str, str] | None) -> Response:
    """A refusal on a page, in the shell's layout and the reader's language."""
    _ = translations(page_locale(request)).gettext
    if error.status == 404:
        heading = _("Page not found")
    elif error.code == "csrf_token_invalid":
        heading = _("This form was refused")
    elif error.status == 403:
        heading = _("You may not open this page")
    elif error.status == 429:
        heading = _("Too many tries")
    else:
        heading = _("This request cannot be served")
    message = error.zh if page_locale(request) == "zh-CN" else error.en
    return render_page(request, "error.html", actor=_page_actor(request), status=error.status,
                       headers=dict(headers or {}), heading=heading, message=message)


def _page_actor(request: Request) -> Actor | None:
    """Who is signed in, for a refusal's layout: also on a path no route took (so none looked)."""
    if (actor := current_actor(request)) is not None or COOKIE_NAME not in request.cookies:
        return actor
    if not hasattr(request.state, "web_visit"):
        try:
            with Session(reading(request.app.state.engine)) as session:
                web_visit(request, session)
        except OperationalError:
            return None
    visit = request.state.web_visit
    return Actor.of(visit.user) if visit is not None and not visit.user.must_change_password else None


def _refusal(request: Request, error: DomainError, headers: Mapping[str, str] | None = None) -> Response:
    """JSON in the documented shape under the API; a page for people everywhere else."""
    path = request.url.path
    if path.startswith(API_PREFIX + "/") or path == API_PREFIX:
        return JSONResponse(error.as_body(), status_code=error.status, headers=headers)
    if isinstance(error, Unauthenticated):
        query = f"?{request.url.query}" if request.url.query and request.method == "GET" else ""
        return see_other("/signin?" + urlencode({"next": path + query}))
    if isinstance(error, PasswordChangeRequired):
        return see_other(PASSWORD_CHANGE_PATH)
    if _is_batch_link(path) or _wants_json(request):
        # A batch link that names no batch, or a damaged one; anything else is about the request.
        about_batch = _is_batch_link(path) and error.status in (400, 404, 422)
        return error_page(request, error.status, error, about_batch=about_batch, headers=headers)
    return _page_refusal(request, error, headers)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _methods_at(request: Request) -> list[str]:
    """Every method some route takes at the request's path (asked through the routes' own matching)."""
    routes = request.app.router.routes
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


def _refuse_text(scope: Scope, error: DomainError) -> Response:
    """A request refused before routing: a control character (trace.text_guard), a body too large (trace.hardening)."""
    return _refusal(Request(scope), error)


def create_app(engine: Engine | None = None) -> FastAPI:
    settings = get_settings()
    ensure_production_ready(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = start_scheduler(app.state.engine) if settings.scheduler else None
        yield
        if scheduler:
            scheduler.shutdown(wait=False)
        if engine is None:
            app.state.engine.dispose()

    app = FastAPI(
        title="章丘区校园食堂大宗食材追溯平台 API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # served from our own static files: trace.api_docs
        redoc_url=None,
    )
    app.state.engine = engine or make_engine(settings.database_url)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        return _refusal(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _is_batch_link(request.url.path):
            # A parent who followed a damaged link gets a page, not a JSON error.
            return error_page(request, 400, DomainError(
                "invalid_batch_link", "链接中的批次编号无效，请重新扫描标签上的二维码",
                "The batch number in this link is not valid; scan the label's QR code again"))
        if not request.url.path.startswith(API_PREFIX):
            return _refusal(request, DomainError(
                "invalid_request", "请求内容无效，请返回检查后重新提交", "The request is not valid; go back, check it "
                "and submit again"))
        problems = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return _error(422, "invalid_request", "请求内容无效，请检查标出的字段", "The request is invalid; see the fields listed",
                      fields=problems)

    @app.exception_handler(StarletteHTTPException)
    async def framework_refusal(request: Request, exc: StarletteHTTPException) -> Response:
        # No such path, a method the path does not take, a body that cannot be read: the
        # framework's {"detail": ...} is not the documented shape, so say it as ours.
        details: dict[str, Any] = {}
        if exc.status_code == 404:
            details["path"] = request.url.path
        elif exc.status_code == 405:
            # Starlette's Allow names only the first route on the path (GET of GET and POST): ask every route.
            allowed = _methods_at(request)
            details.update(method=request.method, allowed=allowed)
            headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
            return _refusal(request, framework_error(405, exc.detail, **details), headers=headers)
        return _refusal(request, framework_error(exc.status_code, exc.detail, **details), headers=exc.headers)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity conflict: %s", exc.orig)
        return _error(409, "conflict", "与已有记录冲突，请刷新后重试", "Conflicts with an existing record; reload and retry")

    @app.exception_handler(OperationalError)
    async def busy_database(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return _error(503, "database_busy", "数据库繁忙，请稍后重试", "The database is busy; retry shortly")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug: the server still logs the traceback; the caller gets the documented shape.
        return _refusal(request, framework_error(500))

    # The batch reads follow the suppliers' routes, where they stood before they moved up a floor.
    for router in (trace_router, suppliers_router, batch_reads_router, canteens_router, inspections_router,
                   meals_router, meal_reads_router, exports_router, sync_router, corrections_router,
                   receipt_checks_router, drills_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(test_results_router, prefix=API_PREFIX)
    app.include_router(resolver_router)
    app.include_router(web_router)
    app.include_router(public_schools_router)
    app.include_router(pwa_router)
    # Each role's work pages (navigation in web/navigation.py).
    for pages in (canteen_pages, receiving_pages, meal_pages, meal_trace_pages, sync_pages, supplier_pages,
                  work_read_pages, inspect_pages, correction_pages):
        app.include_router(pages)
    app.include_router(inspect_test_pages)
    app.include_router(admin_router)
    app.include_router(audit_router)
    app.include_router(suppliers_admin_router)
    app.include_router(canteens_admin_router)
    app.include_router(drill_pages)
    app.state.navigation = navigation_for
    # The catalogue names a product's rapid test by its kind; inspections, a floor up, names the kinds.
    app.state.rapid_test_names = {kind: TEST_KIND_LABELS[kind] for kind in RAPID_TESTS}
    app.include_router(api_docs_router)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.add_middleware(TextGuard, refuse=_refuse_text)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, refuse=_refuse_text)
    secure_every_response(app)
    return app


app = create_app()
