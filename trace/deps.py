"""FastAPI dependencies shared by every domain: the session, the authenticated
actor, and the write context that commits once and makes retried
POSTs idempotent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from trace.accounts import user_for_token
from trace.custody import Actor
from trace.db import reading, write_transaction
from trace.errors import DomainError, Invalid
from trace.models import IdempotencyRecord

T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer zqt_…`")


def get_session(request: Request) -> Iterator[Session]:
    # Nothing commits here: writes commit in WriteContext.run, reads just end. The
    # session reads without SQLite's write lock; WriteContext.run takes it for the write.
    with Session(reading(request.app.state.engine), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class Unauthenticated(DomainError):
    status = 401


def get_actor(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated("not_authenticated", "需要登录：请携带 API 令牌",
                              "Authentication required: send a bearer token")
    user = user_for_token(session, credentials.credentials)
    if user is None:
        raise Unauthenticated("invalid_token", "令牌无效或已吊销", "Token is invalid or revoked")
    return Actor.of(user)


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
