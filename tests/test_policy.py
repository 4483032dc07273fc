"""Every route says who may use it, in the one policy (trace/policy.py)."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from trace.app import create_app
from trace.policy import POLICY, declared

# The OpenAPI document FastAPI itself serves: open by nature, nothing behind it.
FRAMEWORK_PATHS = {"/openapi.json"}


def _declarations(dependant: Dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if sub.call is not None and (what := declared(sub.call)):
            found.append(what)
        found += _declarations(sub)
    return found


def _routes():
    """Every route with its full path (FastAPI keeps included routers as a tree)."""
    app = create_app()
    contexts = list(iter_route_contexts(app.routes))
    return [c for c in contexts if isinstance(c.original_route, APIRoute)], contexts


def test_every_route_declares_a_permission_or_why_it_is_public():
    routes, _ = _routes()
    undeclared = [f"{sorted(route.methods)} {route.path}" for route in routes if not _declarations(route.dependant)]
    assert not undeclared, f"routes with no allow(…) or public(…): {undeclared}"


def test_no_route_declares_two_permissions():
    routes, _ = _routes()
    doubled = {route.path: found for route in routes if len(set(found := _declarations(route.dependant))) > 1}
    assert not doubled


def test_every_permission_in_the_policy_guards_some_route():
    routes, _ = _routes()
    used = {what for route in routes for what in _declarations(route.dependant)}
    assert set(POLICY) <= used, f"permissions no route uses: {sorted(set(POLICY) - used)}"


def test_only_framework_documentation_and_static_files_stand_outside_the_policy():
    _, contexts = _routes()
    others = [c for c in contexts if not isinstance(c.original_route, APIRoute)]
    assert {c.path for c in others} - FRAMEWORK_PATHS <= {"/static"}
    assert all(isinstance(c.original_route, Mount) for c in others if c.path == "/static")
