"""What an administrator does to accounts beyond trace.accounts: find them, open one, reopen a closed one.

Services and selectors (session first, flush, never commit). Kept apart from
trace.accounts, which owns creating, closing and rebinding an account and its tokens;
every change here is an event on the account's own chain as well (see the table there).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from trace.accounts import account_event
from trace.custody import Actor
from trace.errors import Conflict, NotFound
from trace.models import Role, User


def user_get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", f"账号 {user_id} 不存在", f"Account {user_id} not found", user_id=user_id)
    return user


def user_reactivate(session: Session, *, actor: Actor, user: User) -> User:
    """Open a deactivated account again. Its old sessions and tokens stay ended: it signs in afresh."""
    if user.active:
        raise Conflict("user_already_active", f"账号 {user.username} 未停用", f"Account {user.username} is active",
                       username=user.username)
    user.active = True
    session.add(user)
    session.flush()
    account_event(session, user=user, biz_step="reactivating", actor=actor)
    return user


@dataclass(frozen=True)
class AccountFilter:
    """What the account list is narrowed to; None: any."""

    role: Role | None = None
    school_id: int | None = None
    supplier_id: int | None = None
    active: bool | None = None
    text: str = ""  # part of the name or the username


@dataclass(frozen=True)
class AccountPage:
    users: list[User]
    total: int


def accounts_find(session: Session, where: AccountFilter, *, limit: int = 50, offset: int = 0) -> AccountPage:
    """Accounts matching ``where``, by username, with how many match in all (for paging)."""
    statement = select(User)
    if where.role is not None:
        statement = statement.where(User.role == where.role)
    if where.school_id is not None:
        statement = statement.where(User.school_id == where.school_id)
    if where.supplier_id is not None:
        statement = statement.where(User.supplier_id == where.supplier_id)
    if where.active is not None:
        statement = statement.where(User.active.is_(where.active))
    if text := where.text.strip():
        pattern = f"%{text.lower()}%"
        statement = statement.where(or_(func.lower(User.username).like(pattern),
                                        func.lower(User.display_name).like(pattern)))
    total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    users = session.execute(statement.order_by(User.username).limit(limit).offset(offset)).scalars().all()
    return AccountPage(list(users), total)


def accounts_by_id(session: Session, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(user_ids))).scalars()}
