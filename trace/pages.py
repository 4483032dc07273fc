"""Rendering a page for people: the language, the person, the navigation, the form token.

Every page of every domain answers through :func:`render_page`, so the layout
(trace/templates/base.html) always has what it needs. The navigation is declared once
on the top floor (web/navigation.py) and handed to the app as ``app.state.navigation``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from trace.custody import Actor
from trace.deps import CSRF_FIELD, cookies_secure, csrf_matches, csrf_refusal
from trace.i18n import LOCALES, label, negotiate_locale, render
from trace.models import ROLE_LABELS, Role

LANG_COOKIE = "lang"
# The double-submit token of a visitor's forms (the sign-in form): no session holds one yet.
VISITOR_CSRF_COOKIE = "trace_csrf"
YEAR = 365 * 24 * 3600
ROLES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class NavItem:
    label: str  # an English msgid, translated in the layout
    href: str


Navigation = Callable[[Actor | None], Sequence[NavItem]]


def page_locale(request: Request) -> str:
    """``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language; zh-CN by default."""
    explicit = request.query_params.get("lang")
    if explicit not in LOCALES:
        explicit = request.cookies.get(LANG_COOKIE)
    return negotiate_locale(request.headers.get("accept-language"), explicit)


def current_actor(request: Request) -> Actor | None:
    """The person get_actor found for this request, if it ran."""
    return getattr(request.state, "actor", None)


def form_token(request: Request) -> tuple[str, bool]:
    """The token this browser's forms carry, and whether it is new (a cookie to set).

    Signed in: the session's synchronizer token. A visitor: a random token in a cookie,
    sent back in the form (double submit).
    """
    visit = getattr(request.state, "web_visit", None)
    if visit is not None:
        return visit.row.csrf_token, False
    existing = request.cookies.get(VISITOR_CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(32), True


def _one_time(request: Request) -> bool:
    """Signed in with a one-time password: every page leads to the password page, so no menu."""
    visit = getattr(request.state, "web_visit", None)
    return visit is not None and visit.user.must_change_password


def render_page(request: Request, template: str, *, actor: Actor | None = None, status: int = 200,
                headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    actor = actor or current_actor(request)
    locale = page_locale(request)
    token, new_token = form_token(request)
    navigation: Navigation | None = getattr(request.app.state, "navigation", None)
    switched = request.url.include_query_params(lang="en" if locale == "zh-CN" else "zh-CN")
    body = render(template, locale, request=request, actor=actor, csrf_token=token,
                  switch_href=f"{switched.path}?{switched.query}",
                  navigation=list(navigation(actor)) if navigation and not _one_time(request) else [],
                  role_label=label(ROLE_LABELS[Role(actor.role)], locale) if actor and actor.role in ROLES else "",
                  current_path=request.url.path, **context)
    response = HTMLResponse(body, status_code=status, headers=headers)
    secure = cookies_secure(request)
    if new_token:
        response.set_cookie(VISITOR_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=YEAR, httponly=True, samesite="lax", secure=secure,
                            path="/")
    return response


def see_other(location: str) -> RedirectResponse:
    """After a form: redirect with GET (post/redirect/get)."""
    return RedirectResponse(location, status_code=303)


def local_path(candidate: str | None, default: str = "/") -> str:
    """A ``next`` target only if it stays on this site: a path, never another host."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if any(ord(ch) < 32 for ch in candidate):
        return default
    return candidate


async def visitor_csrf(request: Request) -> None:
    """A visitor's form (sign-in) carries the token its page set in a cookie (double submit)."""
    value = (await request.form()).get(CSRF_FIELD)
    if not csrf_matches(request.cookies.get(VISITOR_CSRF_COOKIE), value if isinstance(value, str) else None):
        raise csrf_refusal()
