"""Signing in and out on the web: password check, repeated-failure limits, the session.

Failures are counted in the database (``sign_in_failure``), so every process sees
them: per account (the username as typed, whether or not it exists) and per client
address. A refused try says the same, and takes as long, whether or not the username
exists; only an existing account gets events on its chain (see trace.accounts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session

from trace.accounts import account_event, system_actor
from trace.clock import local_zone
from trace.custody import Actor
from trace.db import utcnow
from trace.errors import DomainError
from trace.models import SignInFailure, User, WebSession
from trace.passwords import needs_rehash, password_hash, password_matches, spend_verify_time
from trace.sessions import OpenedSession, session_open, session_revoke
from trace.settings import get_settings
from trace.throttle import Limits, Verdict, verdict

log = logging.getLogger("trace.sign_in")

ACCOUNT, ADDRESS = "account", "address"


class SignInRefused(DomainError):
    """Wrong username or password (401), or too many tries for now (429)."""

    status = 401


def account_key(username: str) -> str:
    return username.strip().lower()[:100]


def limits(scope: str) -> Limits:
    settings = get_settings()
    window, lock_for = timedelta(minutes=settings.sign_in_window_minutes), timedelta(
        minutes=settings.sign_in_lock_minutes)
    if scope == ACCOUNT:
        return Limits(window, settings.sign_in_account_slow_after, settings.sign_in_account_lock_after, lock_for)
    return Limits(window, settings.sign_in_address_slow_after, settings.sign_in_address_lock_after, lock_for)


def throttle_of(session: Session, scope: str, key: str, now: datetime) -> Verdict:
    rule = limits(scope)
    failures = session.execute(select(SignInFailure.failed_at).where(
        SignInFailure.scope == scope, SignInFailure.key == key,
        SignInFailure.failed_at > now - rule.lookback)).scalars().all()
    return verdict(failures, now, rule)


def _later(first: Verdict, second: Verdict) -> Verdict:
    if first.retry_at is None:
        return second
    if second.retry_at is None:
        return first
    return first if (first.retry_at, first.locked) >= (second.retry_at, second.locked) else second


def _clock(at: datetime) -> str:
    return at.astimezone(local_zone()).strftime("%H:%M:%S")


def refusal(wrong_password: bool, wait: Verdict, now: datetime) -> SignInRefused:
    """The one message a refused try gets: the same whether or not the username exists."""
    if wait.retry_at is None:
        return SignInRefused("sign_in_failed", "用户名或密码不正确", "The username or password is incorrect")
    seconds = max(1, int((wait.retry_at - now).total_seconds() + 0.999))
    at = _clock(wait.retry_at)
    retry = {"retry_at": wait.retry_at.isoformat(), "retry_after_seconds": seconds}
    if wait.locked:
        return SignInRefused(
            "sign_in_locked",
            f"登录失败次数过多，已暂时锁定。请在 {at}（北京时间）之后再试，或请管理员重置密码",
            f"Too many failed sign-ins: signing in is locked for now. Try again after {at} (Beijing time), "
            "or ask an administrator to reset the password", status=429, **retry)
    first = "用户名或密码不正确。" if wrong_password else ""
    first_en = "The username or password is incorrect. " if wrong_password else ""
    return SignInRefused(
        "sign_in_slowed" if not wrong_password else "sign_in_failed",
        f"{first}尝试次数过多，请在 {at}（约 {seconds} 秒后）再试",
        f"{first_en}Too many tries: try again after {at} (in about {seconds} s)",
        status=429 if not wrong_password else 401, **retry)


@dataclass(frozen=True)
class SignedIn:
    user: User
    opened: OpenedSession


@dataclass(frozen=True)
class Checked:
    """What a try showed before anything is written: whether it waits, whose account, whether it matched."""

    key: str
    client_address: str
    now: datetime
    waiting: Verdict
    user: User | None = None
    matched: bool = False
    rehash: str | None = None  # a new hash of the password, when the stored one has older parameters


def sign_in_check(session: Session, *, username: str, password: str, client_address: str,
                  now: datetime | None = None) -> Checked:
    """Read and verify, write nothing: argon2 takes its time outside any write transaction."""
    now = now or utcnow()
    key = account_key(username)
    waiting = _later(throttle_of(session, ACCOUNT, key, now), throttle_of(session, ADDRESS, client_address, now))
    if waiting.retry_at is not None:
        # Not checked and not counted: knocking during a wait does not make it longer.
        return Checked(key, client_address, now, waiting)
    user = session.execute(select(User).where(User.username == username.strip(), User.active)).scalar_one_or_none()
    if user is None or user.password_hash is None:
        spend_verify_time(password)
        return Checked(key, client_address, now, waiting, user)
    matched = password_matches(user.password_hash, password)
    rehash = password_hash(password) if matched and needs_rehash(user.password_hash) else None
    return Checked(key, client_address, now, waiting, user, matched, rehash)


def sign_in_record(session: Session, checked: Checked, *, user_agent: str = "") -> SignedIn | SignInRefused:
    """Write what a checked try comes to: a session and its event, or a counted failure.

    A refusal is returned, not raised: its failure must be committed.
    """
    if checked.waiting.retry_at is not None:
        log.info("sign-in try refused while %s: account %r from %s",
                 "locked" if checked.waiting.locked else "slowed", checked.key, checked.client_address)
        return refusal(False, checked.waiting, checked.now)
    user = checked.user
    if checked.matched and user is not None:
        # Read again in this transaction: an account closed since the check does not sign in.
        session.refresh(user)
        if user.active:
            return _signed_in(session, user, checked, user_agent)
    return _failed(session, user, checked.key, checked.client_address, checked.now)


def sign_in_attempt(session: Session, *, username: str, password: str, client_address: str, user_agent: str = "",
                    now: datetime | None = None) -> SignedIn | SignInRefused:
    """One try at signing in, checked and recorded in the caller's transaction."""
    checked = sign_in_check(session, username=username, password=password, client_address=client_address, now=now)
    return sign_in_record(session, checked, user_agent=user_agent)


def cosign_record(session: Session, checked: Checked, *, what: str) -> User | SignInRefused:
    """A second person's credentials, typed on someone else's signed-in device to confirm their work
    (a receipt's second checker, 双人联检): counted and throttled as a sign-in, but no session opens.

    The same refusals as signing in, returned (a failure must be committed). ``what`` names the
    work confirmed, for the account's event.
    """
    if checked.waiting.retry_at is not None:
        return refusal(False, checked.waiting, checked.now)
    user = checked.user
    if checked.matched and user is not None:
        session.refresh(user)
        if user.active and not user.must_change_password:
            session.execute(delete(SignInFailure).where(SignInFailure.scope == ACCOUNT,
                                                        SignInFailure.key == account_key(user.username)))
            account_event(session, user=user, biz_step="cosigning", actor=Actor.of(user), occurred_at=checked.now,
                          client_address=checked.client_address, what=what)
            return user
    return _failed(session, user, checked.key, checked.client_address, checked.now)


def _signed_in(session: Session, user: User, checked: Checked, user_agent: str) -> SignedIn:
    client_address, now = checked.client_address, checked.now
    if checked.rehash is not None:
        user.password_hash = checked.rehash
        session.add(user)
    # A good password clears the account's count; the address keeps its own (one account an
    # attacker owns must not reset the count of guesses at everybody else's).
    session.execute(delete(SignInFailure).where(SignInFailure.scope == ACCOUNT,
                                                SignInFailure.key == account_key(user.username)))
    opened = session_open(session, user=user, client_address=client_address, user_agent=user_agent, now=now)
    account_event(session, user=user, biz_step="signing_in", actor=Actor.of(user), occurred_at=now,
                  client_address=client_address, user_agent=user_agent[:200], session_id=opened.row.id)
    return SignedIn(user, opened)


def _failed(session: Session, user: User | None, key: str, client_address: str, now: datetime) -> SignInRefused:
    session.add(SignInFailure(scope=ACCOUNT, key=key, failed_at=now))
    session.add(SignInFailure(scope=ADDRESS, key=client_address[:100], failed_at=now))
    session.flush()
    by_account = throttle_of(session, ACCOUNT, key, now)
    by_address = throttle_of(session, ADDRESS, client_address, now)
    if user is not None:
        account_event(session, user=user, biz_step="sign_in_refused", actor=system_actor(), occurred_at=now,
                      reason="wrong_password", client_address=client_address, failures=by_account.failures)
        if by_account.locked:
            account_event(session, user=user, biz_step="locking_out", actor=system_actor(), occurred_at=now,
                          client_address=client_address, failures=by_account.failures,
                          until=by_account.retry_at.isoformat() if by_account.retry_at else None)
    else:
        log.info("sign-in failed for unknown account %r from %s", key, client_address)
    if by_address.locked:
        log.warning("client address %s locked out of signing in after %d failures", client_address,
                    by_address.failures)
    return refusal(True, _later(by_account, by_address), now)


def sign_out(session: Session, *, user: User, web_session: WebSession, client_address: str,
             now: datetime | None = None) -> None:
    now = now or utcnow()
    session_revoke(session, web_session, now)
    account_event(session, user=user, biz_step="signing_out", actor=Actor.of(user), occurred_at=now,
                  client_address=client_address, session_id=web_session.id)
