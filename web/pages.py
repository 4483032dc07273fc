"""The shell's own pages: home, the public entry, sign-in, sign-out and the password page.

Forms post and redirect (PRG) and work without JavaScript. Who may open each page:
``/``, ``/lookup`` and ``/signin`` anyone; ``/signout`` and ``/account/password`` a
signed-in person (``trace.policy``'s "account.self"; ``get_actor`` also checks a cookie's CSRF token on a
POST and sends a one-time password to the password page).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from canteens.schools import school_find
from suppliers.public import batches_for_lot_lookup
from trace.credentials import password_change
from trace.custody import Actor
from trace.db import write_transaction
from trace.deps import (
    PASSWORD_CHANGE_PATH,
    SessionDep,
    client_address,
    cookies_secure,
    web_visit,
)
from trace.digital_link import normalize_lot
from trace.errors import DomainError
from trace.pages import local_path, page_locale, render_page, see_other, visitor_csrf
from trace.policy import allow, public, requires
from trace.sessions import COOKIE_NAME, session_revoke
from trace.settings import get_settings
from trace.sign_in import SignedIn, sign_in_check, sign_in_record, sign_out
from web.navigation import home_of

router = APIRouter(include_in_schema=False)

# Form fields are read as text and checked here: a missing field is a message on the form, not a 422.
FormText = Annotated[str, Form(max_length=1024)]
MAX_SCHOOLS_LISTED = 200


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


def _landing(actor: Actor, must_change: bool) -> str:
    return PASSWORD_CHANGE_PATH if must_change else home_of(actor)


@router.get("/", dependencies=[public("the front door: parents find a school or type a lot code")])
def home(request: Request, session: SessionDep, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Signed in: to the first page of one's role. A visitor: find a school, or type a lot code."""
    if (visit := web_visit(request, session)) is not None:
        return see_other(_landing(Actor.of(visit.user), visit.user.must_change_password))
    schools = school_find(session, q, limit=MAX_SCHOOLS_LISTED)
    return render_page(request, "home.html", schools=schools, q=q)


@router.get("/lookup", dependencies=[public("a lot code typed from a label, by anyone")])
def lookup(request: Request, session: SessionDep, lot: Annotated[str, Query(max_length=100)] = "") -> Response:
    """A lot code from a label: one batch → its public page; several → a choice; none → say so."""
    lot = lot.strip()
    if not lot:
        return render_page(request, "lookup.html", lot="", matches=[], error=None)
    try:
        normalize_lot(lot)
    except DomainError as refused:
        return render_page(request, "lookup.html", status=refused.status, lot=lot, matches=[],
                           error=_message(request, refused))
    matches = batches_for_lot_lookup(session, lot)
    if len(matches) == 1:
        return see_other(f"/public/batches/{matches[0][0]}")
    return render_page(request, "lookup.html", status=200 if matches else 404, lot=lot, matches=matches, error=None)


@router.get("/signin", dependencies=[public("signing in")])
def signin_form(request: Request, session: SessionDep, next: str = "") -> Response:
    if (visit := web_visit(request, session)) is not None:
        return see_other(local_path(next, _landing(Actor.of(visit.user), visit.user.must_change_password)))
    return render_page(request, "signin.html", next=local_path(next, ""), username="", error=None)


@router.post("/signin", dependencies=[public("signing in"), Depends(visitor_csrf)])
def signin(request: Request, session: SessionDep, username: FormText = "", password: FormText = "",
           next: FormText = "") -> Response:
    attempt: SignedIn | DomainError
    previous = web_visit(request, session)
    # The password is verified (argon2 takes its time) before SQLite's write lock is taken.
    checked = sign_in_check(session, username=username[:64], password=password,
                            client_address=client_address(request))
    with write_transaction(session):
        attempt = sign_in_record(session, checked, user_agent=request.headers.get("user-agent", ""))
        if previous is not None and isinstance(attempt, SignedIn):
            # The browser's new session replaces its old one, never runs beside it.
            session_revoke(session, previous.row)
        session.commit()
    if isinstance(attempt, DomainError):
        return render_page(request, "signin.html", status=attempt.status, next=local_path(next, ""),
                           username=username[:64], error=_message(request, attempt))
    user = attempt.user
    target = PASSWORD_CHANGE_PATH if user.must_change_password else local_path(next, home_of(Actor.of(user)))
    response = see_other(target)
    response.set_cookie(COOKIE_NAME, attempt.opened.plain_id, httponly=True, samesite="lax",
                        secure=cookies_secure(request), path="/")
    return response


@router.post("/signout")
def signout(_: allow("account.self"), request: Request, session: SessionDep) -> Response:
    visit = web_visit(request, session)
    if visit is not None:
        with write_transaction(session):
            sign_out(session, user=visit.user, web_session=visit.row, client_address=client_address(request))
            session.commit()
    response = see_other("/")
    response.delete_cookie(COOKIE_NAME, httponly=True, samesite="lax", secure=cookies_secure(request), path="/")
    return response


@router.get(PASSWORD_CHANGE_PATH, dependencies=[requires("account.self")])
def password_form(request: Request, session: SessionDep, changed: bool = False) -> Response:
    visit = web_visit(request, session)
    return render_page(request, "password.html", error=None, changed=changed,
                       must_change=bool(visit and visit.user.must_change_password),
                       min_length=get_settings().password_min_length)


@router.post(PASSWORD_CHANGE_PATH, dependencies=[requires("account.self")])
def password_submit(request: Request, session: SessionDep, current: FormText = "", new: FormText = "",
                    confirm: FormText = "") -> Response:
    visit = web_visit(request, session)
    if visit is None:  # a bearer token, not a browser: nothing to change here
        return see_other("/")
    was_one_time = visit.user.must_change_password
    try:
        with write_transaction(session):
            password_change(session, user=visit.user, current=current, new=new, confirm=confirm,
                            client_address=client_address(request), keep_session=visit.row.id)
            session.commit()
    except DomainError as refused:
        return render_page(request, "password.html", status=refused.status, error=_message(request, refused),
                           must_change=was_one_time, changed=False, min_length=get_settings().password_min_length)
    # A first sign-in goes on to work; a chosen change is confirmed on the same page.
    return see_other(home_of(Actor.of(visit.user)) if was_one_time else PASSWORD_CHANGE_PATH + "?changed=1")
