"""FastAPI dependencies shared by every domain: the session, the authenticated
actor, and the write context that commits once and makes retried
POSTs idempotent."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from trace.accounts import token_needs_note, token_note_use, user_and_token
from trace.custody import Actor
from trace.db import reading, unit_of_work, utcnow, write_transaction
from trace.errors import DomainError, Forbidden, Invalid
from trace.models import IdempotencyRecord, User, WebSession
from trace.sessions import COOKIE_NAME, session_for, session_needs_touch, session_touch
from trace.settings import get_settings

log = logging.getLogger("trace.deps")

T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer zqt_…`")


def get_session(request: Request) -> Iterator[Session]:
    # Nothing commits here: writes commit in WriteContext.run, reads just end. The
    # session reads without SQLite's write lock; WriteContext.run takes it for the write.
    with Session(reading(request.app.state.engine), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class Unauthenticated(DomainError):
    """No one is signed in: JSON 401 under the API, the sign-in page for a page (trace.app)."""

    status = 401


class PasswordChangeRequired(Forbidden):
    """A one-time password is still in use: every page leads to the change-password page."""


class CsrfRefused(Forbidden):
    """A form or a cookie-authenticated API call without this session's token."""


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# The paths a person with a one-time password may still open.
PASSWORD_CHANGE_PATH = "/account/password"
OPEN_WITH_ONE_TIME_PASSWORD = frozenset({PASSWORD_CHANGE_PATH, "/signout"})


def client_address(request: Request) -> str:
    """The client's address; a proxy's X-Forwarded-For only when the platform says it is behind one."""
    if get_settings().behind_proxy and (forwarded := request.headers.get("x-forwarded-for")):
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else ""


def request_is_https(request: Request) -> bool:
    if get_settings().behind_proxy and (proto := request.headers.get("x-forwarded-proto")):
        return proto.split(",")[0].strip().lower() == "https"
    return request.url.scheme == "https"


def cookies_secure(request: Request) -> bool:
    """Secure cookies over HTTPS, and always in production (TRACE_ENV=production)."""
    return request_is_https(request) or get_settings().production


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def csrf_refusal() -> CsrfRefused:
    return CsrfRefused("csrf_token_invalid",
                       "表单已过期或不是从本平台页面提交的（缺少有效的安全令牌）。请返回，刷新页面后重新提交",
                       "This form has expired or was not sent from this platform's page (no valid security "
                       "token). Go back, reload the page and submit it again")


async def submitted_csrf_token(request: Request) -> str | None:
    """The token a request carries: the X-CSRF-Token header, else a form's hidden field."""
    if token := request.headers.get(CSRF_HEADER):
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True)
class WebVisit:
    """A signed-in browser: its session row and its person."""

    row: WebSession
    user: User


def web_visit(request: Request, session: Session) -> WebVisit | None:
    """The live web session the request's cookie names (looked up once per request)."""
    if hasattr(request.state, "web_visit"):
        return request.state.web_visit  # type: ignore[no-any-return]
    visit = None
    plain = request.cookies.get(COOKIE_NAME)
    if plain:
        now = utcnow()
        found = session_for(session, plain, now)
        if found is not None:
            visit = WebVisit(*found)
            if session_needs_touch(visit.row, now):
                # Its own short transaction: the request's session only reads.
                with request.app.state.engine.begin() as connection:
                    session_touch(connection, visit.row.id, now)
    request.state.web_visit = visit
    return visit


def _bearer_actor(request: Request, session: Session, token: str) -> Actor:
    found = user_and_token(session, token)
    if found is None:
        raise Unauthenticated("invalid_token", "令牌无效或已吊销", "Token is invalid or revoked")
    user, row = found
    now = utcnow()
    if token_needs_note(row, now):
        with unit_of_work(request.app.state.engine) as own:
            token_note_use(own, token_id=row.id, now=now)
    return Actor.of(user)


async def get_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The person acting: by bearer token (the API), or by the web session's cookie.

    A request that changes something by cookie carries the session's CSRF token (a form's
    hidden field, or the X-CSRF-Token header for page JavaScript calling the API).
    """
    if credentials is not None:
        return _bearer_actor(request, session, credentials.credentials)
    visit = web_visit(request, session)
    if visit is None:
        raise Unauthenticated("not_authenticated", "需要登录：请先登录，或携带 API 令牌",
                              "Authentication required: sign in, or send a bearer token")
    if request.method not in SAFE_METHODS and not csrf_matches(visit.row.csrf_token,
                                                                await submitted_csrf_token(request)):
        raise csrf_refusal()
    if visit.user.must_change_password and request.url.path not in OPEN_WITH_ONE_TIME_PASSWORD:
        raise PasswordChangeRequired("password_change_required", "请先修改管理员发放的一次性密码",
                                     "Change the one-time password an administrator gave you first")
    actor = Actor.of(visit.user)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


class WriteContext:
    """One write request: runs the service, records the response under the
    ``Idempotency-Key`` (if sent) and commits both in one transaction."""

    def __init__(self, session: Session, actor: Actor, key: str | None, fingerprint: str) -> None:
        self.session = session
        self.actor = actor
        self.key = key
        self.fingerprint = fingerprint

    def _stored(self) -> IdempotencyRecord | None:
        statement = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == self.actor.user_id, IdempotencyRecord.key == self.key
        )
        return self.session.execute(statement).scalar_one_or_none()

    def _replay(self, record: IdempotencyRecord) -> JSONResponse:
        if record.fingerprint != self.fingerprint:
            raise Invalid(
                "idempotency_key_reused",
                "该 Idempotency-Key 已用于另一个不同的请求",
                "This Idempotency-Key was already used for a different request",
                key=self.key,
            )
        return JSONResponse(
            json.loads(record.response_body),
            status_code=record.status_code,
            headers={"Idempotent-Replayed": "true"},
        )

    def run(self, write: Callable[[], Any], *, status_code: int = 201) -> Any:
        # SQLite's write lock is held for the block: the idempotency lookup and the
        # service's work, nothing of the request's authentication or parsing.
        with write_transaction(self.session):
            return self._run(write, status_code)

    def _run(self, write: Callable[[], Any], status_code: int) -> Any:
        if self.key:
            if record := self._stored():
                return self._replay(record)
        try:
            result = write()
            body = jsonable_encoder(result)
            if self.key:
                self.session.add(IdempotencyRecord(
                    user_id=self.actor.user_id, key=self.key, fingerprint=self.fingerprint,
                    status_code=status_code, response_body=json.dumps(body, ensure_ascii=False),
                ))
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            # A concurrent retry with the same key won the race: answer with its result.
            if self.key and (record := self._stored()):
                return self._replay(record)
            raise
        except BaseException:
            self.session.rollback()
            raise
        return JSONResponse(body, status_code=status_code)


async def get_write_context(request: Request, session: SessionDep, actor: ActorDep) -> WriteContext:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200):
        raise Invalid("idempotency_key_invalid", "Idempotency-Key 长度须为 1–200 个字符",
                      "Idempotency-Key must be 1–200 characters")
    body = await request.body()
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    return WriteContext(session, actor, key, fingerprint)


WriteDep = Annotated[WriteContext, Depends(get_write_context)]
