"""The administrator's account pages: find accounts, create one, and act on one.

Every action is a form that posts (with the session's CSRF token, checked by
get_actor), calls the accounts services — which write each change and its event on
the account's chain in one transaction — and redirects (post/redirect/get). A secret
the platform issues (a one-time password, an API token) is shown once on the page the
redirect lands on (web.once). A refusal shows the page again with the service's message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from canteens import service as canteen_service
from suppliers import service as supplier_service
from trace import accounts, credentials
from trace.account_admin import AccountFilter, accounts_find, user_get, user_reactivate
from trace.clock import local_zone
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.fields import Offset, PathId
from trace.i18n import N_
from trace.models import ROLE_LABELS, Role, User
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow
from web import once

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=200)]
PAGE_SIZE = 50
STATUSES = ("active", "inactive")

# What the page says after each action (?done=…): a fixed set, never text from the URL.
DONE = {
    "created": N_("The account has been created."),
    "reset": N_("A new one-time password has been issued; the account's web sessions have ended."),
    "deactivated": N_("The account has been deactivated; its sessions and API tokens have ended."),
    "reactivated": N_("The account has been reactivated. It signs in again with its password."),
    "rebound": N_("The role and binding have been changed; the account's web sessions have ended."),
    "token_issued": N_("The API token has been issued."),
    "token_revoked": N_("The API token has been revoked."),
}


def local_time(at: datetime | None, locale: str) -> str:
    """An instant as the district reads it: 2025年9月1日 08:15 (Beijing time)."""
    if at is None:
        return ""
    local = at.astimezone(local_zone())
    day = f"{local.year}年{local.month}月{local.day}日" if locale == "zh-CN" else local.date().isoformat()
    return f"{day} {local:%H:%M}"


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


def parse_binding(value: str) -> tuple[int | None, int | None]:
    """The binding field: ``school:3``, ``supplier:5`` or empty → (school_id, supplier_id)."""
    kind, _, number = value.partition(":")
    if not value:
        return None, None
    if kind in ("school", "supplier") and number.isdigit() and 0 < int(number) < 2**31:
        return (int(number), None) if kind == "school" else (None, int(number))
    raise Invalid("binding_invalid", "请选择账号所属的学校或供应商", "Choose the school or supplier the account belongs to")


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid("role_invalid", "请选择角色", "Choose a role") from None


def binding_of(user: User) -> str:
    if user.school_id:
        return f"school:{user.school_id}"
    if user.supplier_id:
        return f"supplier:{user.supplier_id}"
    return ""


def _parties(session: Session) -> dict[str, Any]:
    """The schools and suppliers an account may be bound to, for the forms and for names in lists."""
    schools = canteen_service.school_list(session)
    suppliers = supplier_service.supplier_list(session)
    return {"schools": schools, "suppliers": suppliers,
            "school_names": {s.id: s.name for s in schools}, "supplier_names": {s.id: s.name for s in suppliers}}


def _common(request: Request, session: Session) -> dict[str, Any]:
    locale = page_locale(request)
    return {"roles": list(Role), "role_labels": ROLE_LABELS, "when": lambda at: local_time(at, locale),
            **_parties(session)}


def _write(session: Session, work: Callable[[], Any]) -> Any:
    """One write: the services' changes and events commit together, or none of them."""
    try:
        with write_transaction(session):
            result = work()
            session.commit()
            return result
    except DomainError:
        session.rollback()
        raise


# --- the list and the creation form -------------------------------------------------------------


@router.get("/admin/accounts")
def account_list(request: Request, _: allow("admin.accounts.read"), session: SessionDep,
                 role: Annotated[str, Query(max_length=20)] = "", binding: Annotated[str, Query(max_length=30)] = "",
                 status: Annotated[str, Query(max_length=10)] = "", q: Annotated[str, Query(max_length=100)] = "",
                 offset: Offset = 0) -> Response:
    """Accounts by username, narrowed by role, school or supplier, status and part of a name."""
    try:
        school_id, supplier_id = parse_binding(binding)
    except Invalid:
        school_id = supplier_id = None
        binding = ""
    chosen_role = Role(role) if role in {r.value for r in Role} else None
    where = AccountFilter(role=chosen_role, school_id=school_id, supplier_id=supplier_id,
                          active={"active": True, "inactive": False}.get(status), text=q)
    found = accounts_find(session, where, limit=PAGE_SIZE, offset=offset)
    filters = {"role": chosen_role.value if chosen_role else "", "binding": binding,
               "status": status if status in STATUSES else "", "q": q}
    return render_page(request, "admin/accounts.html", found=found, filters=filters, offset=offset,
                       page_size=PAGE_SIZE, filtered=any(filters.values()), **_common(request, session))


def _new_form(request: Request, session: Session, *, status: int = 200, error: str | None = None,
              form: dict[str, str] | None = None) -> Response:
    return render_page(request, "admin/account_new.html", status=status, error=error,
                       form=form or {"username": "", "display_name": "", "role": "", "binding": ""},
                       **_common(request, session))


@router.get("/admin/accounts/new")
def account_new(request: Request, _: allow("admin.accounts.change"), session: SessionDep) -> Response:
    return _new_form(request, session)


@router.post("/admin/accounts")
def account_create(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                   username: FormText = "", display_name: FormText = "", role: FormText = "",
                   binding: FormText = "") -> Response:
    """Create the account and give it a one-time password, shown once on its page."""
    form = {"username": username.strip(), "display_name": display_name.strip(), "role": role, "binding": binding}

    def create() -> tuple[User, str]:
        if not form["username"] or not form["display_name"]:
            raise Invalid("account_fields_required", "请填写用户名和姓名", "Fill in the username and the name")
        school_id, supplier_id = parse_binding(binding)
        user = accounts.user_create(session, actor=actor, username=form["username"][:64],
                                    display_name=form["display_name"][:100], role=parse_role(role),
                                    school_id=school_id, supplier_id=supplier_id)
        return user, credentials.password_reset(session, actor=actor, user=user)

    try:
        user, plain = _write(session, create)
    except DomainError as refused:
        return _new_form(request, session, status=refused.status, error=_message(request, refused), form=form)
    return _issued(request, session, user, done="created", kind="password", secret=plain)


def _issued(request: Request, session: Session, user: User, *, done: str, **secret: Any) -> Response:
    """To the account's page, carrying the secret; a caller without a web session sees it at once."""
    response = see_other(f"/admin/accounts/{user.id}?done={done}")
    if once.stash(request, response, user_id=user.id, **secret):
        return response
    page = _account_page(request, session, user.id, done=done, secret=dict(secret, user_id=user.id))
    page.headers["Cache-Control"] = "no-store"
    return page


# --- one account --------------------------------------------------------------------------------


def _account_page(request: Request, session: Session, user_id: int, *, done: str = "", error: str | None = None,
                  status: int = 200, secret: dict[str, Any] | None = None) -> Response:
    user = user_get(session, user_id)
    if secret is not None and secret.get("user_id") != user.id:
        secret = None
    return render_page(request, "admin/account.html", status=status, user=user, tokens=accounts.tokens_of(session, user),
                       done=DONE.get(done), error=error, secret=secret, binding=binding_of(user),
                       **_common(request, session))


@router.get("/admin/accounts/{user_id}")
def account_view(request: Request, _: allow("admin.accounts.read"), session: SessionDep, user_id: PathId,
                 done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """One account: details, its API tokens, and the forms that act on it."""
    response = _account_page(request, session, user_id, done=done, secret=once.take(request))
    once.forget(request, response)
    return response


def _act(request: Request, session: Session, user_id: int, work: Callable[[User], Any], done: str) -> Response:
    """Run one action on the account, then back to its page: with a notice, or its refusal."""
    user_get(session, user_id)  # an account that does not exist is a 404 page, before any write begins
    try:
        result = _write(session, lambda: work(user_get(session, user_id)))
    except DomainError as refused:
        return _account_page(request, session, user_id, error=_message(request, refused), status=refused.status)
    if isinstance(result, tuple):  # a secret was issued: shown once
        user, secret = result
        return _issued(request, session, user, done=done, **secret)
    return see_other(f"/admin/accounts/{user_id}?done={done}")


@router.post("/admin/accounts/{user_id}/password-reset")
def account_reset(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                  user_id: PathId) -> Response:
    """A new one-time password, shown once; the account's web sessions end."""
    def reset(user: User) -> tuple[User, dict[str, str]]:
        return user, {"kind": "password", "secret": credentials.password_reset(session, actor=actor, user=user)}
    return _act(request, session, user_id, reset, "reset")


@router.post("/admin/accounts/{user_id}/deactivate")
def account_deactivate(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                       user_id: PathId, reason: FormText = "") -> Response:
    return _act(request, session, user_id,
                lambda user: accounts.user_deactivate(session, actor=actor, user=user, reason=reason.strip()),
                "deactivated")


@router.post("/admin/accounts/{user_id}/reactivate")
def account_reactivate(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                       user_id: PathId) -> Response:
    return _act(request, session, user_id, lambda user: user_reactivate(session, actor=actor, user=user),
                "reactivated")


@router.post("/admin/accounts/{user_id}/binding")
def account_rebind(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                   user_id: PathId, role: FormText = "", binding: FormText = "") -> Response:
    """Change the role and the school or supplier it acts for (the service's rules apply)."""
    def rebind(user: User) -> User:
        school_id, supplier_id = parse_binding(binding)
        return accounts.user_rebind(session, actor=actor, user=user, role=parse_role(role), school_id=school_id,
                                    supplier_id=supplier_id)
    return _act(request, session, user_id, rebind, "rebound")


@router.post("/admin/accounts/{user_id}/tokens")
def account_token_issue(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                        user_id: PathId, name: FormText = "") -> Response:
    """A new API token for the account, shown once."""
    def issue(user: User) -> tuple[User, dict[str, str]]:
        if not name.strip():
            raise Invalid("token_name_required", "请填写令牌名称（例如用在哪台设备上）",
                          "Name the token (for example, the device it is for)")
        token = accounts.token_create(session, user=user, name=name.strip()[:100], actor=actor)
        return user, {"kind": "token", "secret": token, "name": name.strip()[:100]}
    return _act(request, session, user_id, issue, "token_issued")


@router.post("/admin/accounts/{user_id}/tokens/{token_id}/revoke")
def account_token_revoke(request: Request, actor: allow("admin.accounts.change"), session: SessionDep,
                         user_id: PathId, token_id: PathId) -> Response:
    return _act(request, session, user_id,
                lambda user: accounts.token_revoke(session, actor=actor, token_id=token_id, user=user),
                "token_revoked")
