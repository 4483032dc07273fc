"""Accounts and API tokens (service functions; no HTTP)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlmodel import Session

from trace.custody import Actor, record_event, stream_of
from trace.errors import Invalid, NotFound
from trace.models import ApiToken, Role, User

TOKEN_PREFIX = "zqt_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_create(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role,
    supplier_id: int | None = None,
    school_id: int | None = None,
) -> User:
    """Create an account; suppliers and canteen staff are bound to exactly one party."""
    if role == Role.supplier and (supplier_id is None or school_id is not None):
        raise Invalid("user_binding_invalid", "供应商账号必须且只能绑定一个供应商",
                      "A supplier account must be bound to exactly one supplier")
    if role == Role.canteen_staff and (school_id is None or supplier_id is not None):
        raise Invalid("user_binding_invalid", "食堂人员账号必须且只能绑定一所学校",
                      "A canteen staff account must be bound to exactly one school")
    if role in (Role.admin, Role.inspector) and (supplier_id or school_id):
        raise Invalid("user_binding_invalid", "管理员和监管人员账号不绑定供应商或学校",
                      "Admin and inspector accounts are not bound to a supplier or school")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Invalid("username_taken", f"用户名 {username} 已被使用", f"Username {username} is taken",
                      username=username)
    user = User.model_validate(dict(
        username=username, display_name=display_name, role=role,
        supplier_id=supplier_id, school_id=school_id,
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


def token_create(session: Session, *, user: User, name: str) -> str:
    """Issue a bearer token. The plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_hash(token)))
    session.flush()
    return token


# Every authenticated request runs this first: built once, not per request.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.active)
)


def user_for_token(session: Session, token: str) -> User | None:
    return session.execute(_USER_FOR_TOKEN, {"token_hash": _token_hash(token)}).scalar_one_or_none()


def user_by_username(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("user_not_found", f"用户 {username} 不存在", f"User {username} not found")
    return user


def system_actor() -> Actor:
    """The platform itself, for seeds and scheduled jobs."""
    return Actor(user_id=None, role="system", name="platform")
