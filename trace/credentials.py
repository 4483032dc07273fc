"""Passwords of accounts: a person changes their own; an operator sets or resets one.

Services (session first, flush, never commit); the rules and hashing live in
trace.passwords, the events on the account's chain (see trace.accounts).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from trace.accounts import account_event
from trace.custody import Actor
from trace.db import utcnow
from trace.errors import Invalid
from trace.models import User
from trace.passwords import check_new_password, one_time_password, password_hash, password_matches
from trace.sessions import sessions_revoke_all


def password_change(session: Session, *, user: User, current: str, new: str, confirm: str | None = None,
                    client_address: str = "", keep_session: int | None = None,
                    now: datetime | None = None) -> User:
    """A person replaces their own password (their other web sessions end; ``keep_session`` stays)."""
    now = now or utcnow()
    if not password_matches(user.password_hash, current):
        raise Invalid("current_password_wrong", "当前密码不正确", "The current password is not correct")
    if confirm is not None and new != confirm:
        raise Invalid("password_confirm_mismatch", "两次输入的新密码不一致", "The two new passwords do not match")
    if new == current:
        raise Invalid("password_unchanged", "新密码不能与当前密码相同", "The new password must differ from the current one")
    check_new_password(new, user.username)
    _store(user, password_hash(new), must_change=False, now=now)
    session.add(user)
    sessions_revoke_all(session, user.id, now, keep=keep_session)
    session.flush()
    account_event(session, user=user, biz_step="password_changing", actor=Actor.of(user), occurred_at=now,
                  client_address=client_address)
    return user


def password_set(session: Session, *, actor: Actor, user: User, password: str, must_change: bool = False) -> User:
    """An operator gives an account a password they chose (the CLI's ``user create --password``)."""
    check_new_password(password, user.username)
    _store(user, password_hash(password), must_change=must_change, now=utcnow())
    session.add(user)
    session.flush()
    account_event(session, user=user, biz_step="password_setting", actor=actor, must_change=must_change)
    return user


def password_reset(session: Session, *, actor: Actor, user: User) -> str:
    """Issue a one-time password (returned once, never stored) and end every web session of the account."""
    plain = one_time_password()
    now = utcnow()
    _store(user, password_hash(plain), must_change=True, now=now)
    session.add(user)
    ended = sessions_revoke_all(session, user.id, now)
    session.flush()
    account_event(session, user=user, biz_step="password_resetting", actor=actor, occurred_at=now,
                  sessions_ended=ended)
    return plain


def _store(user: User, hashed: str, *, must_change: bool, now: datetime) -> None:
    user.password_hash = hashed
    user.must_change_password = must_change
    user.password_changed_at = now
