"""No request the OpenAPI schema allows is answered with a 500.

Schemathesis generates requests for every operation from the published schema —
boundary values (its coverage phase), valid requests and near misses — and sends them
as the admin, a supplier and canteen staff to an app whose database holds one supplier,
product, school, batch and order line. Refusals (4xx) are fine, in the documented error
body; a server error is a bug.
Derandomized, so a run is repeatable and CI cannot flake on luck.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.factories import bearer, make_world
from trace.app import create_app
from trace.db import make_engine
from trace.errors import ErrorBody


class _TestsApp:
    """The ASGI app of the running test (each test has its own database)."""

    def __init__(self) -> None:
        # Until a test starts: an app that never connects, to publish the schema.
        self.current: Any = create_app(make_engine("sqlite://"))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.current(scope, receive, send)


TESTS_APP = _TestsApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", TESTS_APP)


@pytest.fixture(params=["admin", "supplier_user", "staff"])
def headers(request, app, session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each role reaches different rules (and refusals): the admin, a supplier, canteen staff."""
    TESTS_APP.current = app
    return bearer(session, getattr(make_world(session), request.param))


@schemathesis.check
def refusals_carry_the_documented_error_body(ctx: Any, response: Any, case: Any) -> None:
    """Every API 4xx is {"error": {"code", "message": {"zh-CN", "en"}, "details"}}, the framework's own included.

    (The resolver's refusals are pages for the scanning phone.)"""
    if response.status_code >= 400 and case.operation.path.startswith("/api/"):
        body = response.json()
        assert list(body) == ["error"], body
        ErrorBody.model_validate(body)


@schema.parametrize()
@settings(max_examples=10, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_allows_is_a_server_error(case, headers):  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=headers, checks=[not_a_server_error, refusals_carry_the_documented_error_body])
