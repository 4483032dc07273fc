"""Accounts and API tokens (service functions; no HTTP).

Everything that happens to an account is an append-only event on its own chain
(``user:<id>``), written in the same transaction as the change. The event names:

=====================  ========  ===============================================
biz_step               action    what happened
=====================  ========  ===============================================
commissioning          ADD       account created
signing_in             OBSERVE   signed in on the web (payload: client address)
sign_in_refused        OBSERVE   a wrong password for this account
locking_out            OBSERVE   failures locked the account for a while
signing_out            OBSERVE   signed out
cosigning              OBSERVE   confirmed another's work with their own password on another's device
                                 (a receipt's second checker; payload: client address, what)
password_changing      OBSERVE   the person changed their own password
password_setting       OBSERVE   an operator set a password (CLI)
password_resetting     OBSERVE   a one-time password issued; sessions ended
token_issuing          ADD       an API token created (payload: token id, name)
token_using            OBSERVE   a token's first use of the (local) day
token_revoking         DELETE    an API token revoked
rebinding              OBSERVE   role or bound school/supplier changed
decommissioning        DELETE    account deactivated; sessions and tokens ended
=====================  ========  ===============================================
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from trace.clock import local_date
from trace.custody import Actor, RecordedEvent, record_event, stream_of
from trace.db import utcnow
from trace.errors import Conflict, Invalid, NotFound
from trace.models import ApiToken, Role, User, WebSession

TOKEN_PREFIX = "zqt_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_event(session: Session, *, user: User, biz_step: str, action: str = "OBSERVE", actor: Actor,
                  occurred_at: datetime | None = None, **payload: Any) -> RecordedEvent:
    """Append one event to the account's own chain (see the table above)."""
    return record_event(session, stream=stream_of("user", user.id), biz_step=biz_step, action=action, actor=actor,
                        subject_type="user", subject_id=user.id, payload=payload, occurred_at=occurred_at)


def _check_binding(role: Role, supplier_id: int | None, school_id: int | None) -> None:
    if role == Role.supplier and (supplier_id is None or school_id is not None):
        raise Invalid("user_binding_invalid", "供应商账号必须且只能绑定一个供应商",
                      "A supplier account must be bound to exactly one supplier")
    if role == Role.canteen_staff and (school_id is None or supplier_id is not None):
        raise Invalid("user_binding_invalid", "食堂人员账号必须且只能绑定一所学校",
                      "A canteen staff account must be bound to exactly one school")
    if role in (Role.admin, Role.inspector) and (supplier_id or school_id):
        raise Invalid("user_binding_invalid", "管理员和监管人员账号不绑定供应商或学校",
                      "Admin and inspector accounts are not bound to a supplier or school")


def user_create(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role,
    supplier_id: int | None = None,
    school_id: int | None = None,
    password_hash: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create an account; suppliers and canteen staff are bound to exactly one party.

    ``password_hash`` (trace.passwords) lets the person sign in on the web; with
    ``must_change_password`` it is a one-time password, changed at first sign-in.
    """
    _check_binding(role, supplier_id, school_id)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Invalid("username_taken", f"用户名 {username} 已被使用", f"Username {username} is taken",
                      username=username)
    user = User.model_validate(dict(
        username=username, display_name=display_name, role=role,
        supplier_id=supplier_id, school_id=school_id, password_hash=password_hash,
        must_change_password=must_change_password and password_hash is not None,
        password_changed_at=utcnow() if password_hash else None,
    ))
    session.add(user)
    session.flush()
    record_event(
        session, stream=stream_of("user", user.id), biz_step="commissioning", action="ADD", actor=actor,
        subject_type="user", subject_id=user.id,
        payload={"username": username, "display_name": display_name, "role": role.value,
                 "supplier_id": supplier_id, "school_id": school_id},
        supplier_id=supplier_id, school_id=school_id,
    )
    return user


def user_deactivate(session: Session, *, actor: Actor, user: User, reason: str = "") -> User:
    """Close an account: it can no longer sign in; its web sessions and API tokens end now."""
    if not user.active:
        raise Conflict("user_already_inactive", f"账号 {user.username} 已停用",
                       f"Account {user.username} is already deactivated", username=user.username)
    if actor.user_id == user.id:
        raise Conflict("user_deactivate_self", "不能停用自己的账号", "You cannot deactivate your own account")
    now = utcnow()
    user.active = False
    session.add(user)
    session.execute(update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=now))
    revoked = session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=now)).rowcount
    session.flush()
    account_event(session, user=user, biz_step="decommissioning", action="DELETE", actor=actor,
                  reason=reason, tokens_revoked=revoked or 0)
    return user


def user_rebind(session: Session, *, actor: Actor, user: User, role: Role, supplier_id: int | None = None,
                school_id: int | None = None) -> User:
    """Change an account's role or the school or supplier it is bound to (same rules as creating it).

    Its web sessions end, so the new role applies from the next sign-in, never half-way.
    """
    _check_binding(role, supplier_id, school_id)
    before = {"role": user.role.value, "supplier_id": user.supplier_id, "school_id": user.school_id}
    after = {"role": role.value, "supplier_id": supplier_id, "school_id": school_id}
    if before == after:
        return user
    user.role, user.supplier_id, user.school_id = role, supplier_id, school_id
    session.add(user)
    session.execute(update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
    session.flush()
    account_event(session, user=user, biz_step="rebinding", actor=actor, before=before, after=after)
    return user


def token_create(session: Session, *, user: User, name: str, actor: Actor | None = None) -> str:
    """Issue a bearer token. The plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token))
    session.add(row)
    session.flush()
    account_event(session, user=user, biz_step="token_issuing", action="ADD", actor=actor or system_actor(),
                  token_id=row.id, name=name)
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """A person's API tokens, newest first, revoked ones included (with when)."""
    statement = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.execute(statement).scalars())


def token_revoke(session: Session, *, actor: Actor, token_id: int, user: User | None = None) -> ApiToken:
    """End an API token now. ``user``: refuse a token that is not theirs (as not found)."""
    token = session.get(ApiToken, token_id)
    if token is None or (user is not None and token.user_id != user.id):
        raise NotFound("token_not_found", f"API 令牌 {token_id} 不存在", f"API token {token_id} not found",
                       token_id=token_id)
    if token.revoked_at is not None:
        raise Conflict("token_already_revoked", f"API 令牌 {token.name} 已吊销",
                       f"API token {token.name} is already revoked", token_id=token_id)
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()
    owner = session.get(User, token.user_id)
    assert owner is not None
    account_event(session, user=owner, biz_step="token_revoking", action="DELETE", actor=actor,
                  token_id=token.id, name=token.name)
    return token


TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def token_needs_note(token: ApiToken, now: datetime | None = None) -> bool:
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at >= TOKEN_TOUCH_EVERY


def token_note_use(session: Session, *, token_id: int, now: datetime | None = None) -> bool:
    """Note a token's use, at most once a minute; its first use of a (local) day is an event.

    Called in a short transaction of its own (the request's session only reads). The
    conditional UPDATE moves it once however many requests arrive in the same minute;
    True when this call moved it.
    """
    now = now or utcnow()
    token = session.get(ApiToken, token_id)
    if token is None:
        return False
    previous = token.last_used_at
    moved = session.execute(
        update(ApiToken).where(ApiToken.id == token_id,
                               ApiToken.last_used_at.is_(None) | (ApiToken.last_used_at <= now - TOKEN_TOUCH_EVERY))
        .values(last_used_at=now).execution_options(synchronize_session=False)).rowcount
    if not moved:
        return False
    if previous is None or local_date(previous) != local_date(now):
        owner = session.get(User, token.user_id)
        assert owner is not None
        account_event(session, user=owner, biz_step="token_using", actor=Actor.of(owner), occurred_at=now,
                      token_id=token.id, name=token.name)
    return True


# Every authenticated request runs this first: built once, not per request.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active)
)


_USER_AND_TOKEN = (
    select(User, ApiToken)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active)
)


def user_for_token(session: Session, token: str) -> User | None:
    return session.execute(_USER_FOR_TOKEN, {"token_hash": _token_hash(token)}).scalar_one_or_none()


def user_and_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The person a bearer token belongs to, and the token's row (for its last use)."""
    found = session.execute(_USER_AND_TOKEN, {"token_hash": _token_hash(token)}).first()
    return (found[0], found[1]) if found else None


def user_by_username(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("user_not_found", f"用户 {username} 不存在", f"User {username} not found")
    return user


def system_actor() -> Actor:
    """The platform itself, for seeds and scheduled jobs."""
    return Actor(user_id=None, role="system", name="platform")
