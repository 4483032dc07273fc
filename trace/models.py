"""Tables of the custody core: the event log with its hash chains and
checkpoints, accounts, and idempotency records.

Other domains' tables are referred to by foreign-key string only (style rule 2).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DDL, Column, Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from trace.db import UTCDateTime, utcnow
from trace.i18n import N_


class Role(StrEnum):
    admin = "admin"
    supplier = "supplier"
    canteen_staff = "canteen_staff"
    inspector = "inspector"


ROLE_LABELS = {
    Role.admin: N_("Administrator"),
    Role.supplier: N_("Supplier"),
    Role.canteen_staff: N_("Canteen staff"),
    Role.inspector: N_("Market supervision inspector"),
}


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    role: Role = Field(max_length=20)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # argon2id (trace.passwords); none: the account cannot sign in on the web (API tokens only).
    password_hash: str | None = Field(default=None, max_length=200)
    # An admin-issued one-time password: every page leads to the change-password page until it is changed.
    must_change_password: bool = False
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    # Only the SHA-256 of a token is kept: a leaked table cannot be replayed.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Moved at most once a minute (trace.accounts.token_used), not on every request.
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A person signed in through a browser (trace.sessions).

    The cookie carries a random 32-byte id; only its SHA-256 is kept, so a copy of the
    table cannot be replayed as a cookie.
    """

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    # The synchronizer token every form of this session carries (and X-CSRF-Token for the API by cookie).
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class SignInFailure(SQLModel, table=True):
    """One failed sign-in, counted per account (the username as typed, known or not) and per
    client address: the database counts for every process (trace.sign_in)."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_scope_key_at", "scope", "key", "failed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=10)  # "account" or "address"
    key: str = Field(max_length=100)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustodyEvent(SQLModel, table=True):
    """One append-only, hash-chained fact about custody.

    Each aggregate (a batch, a supplier, a school, an order…) has its own chain
    (``stream``), so writers for different batches never queue on one head.
    """

    __tablename__ = "custody_event"
    __table_args__ = (
        UniqueConstraint("stream", "seq", name="uq_custody_event_stream_seq"),
        Index("ix_custody_event_batch", "batch_id", "id"),
        Index("ix_custody_event_school", "school_id", "id"),
        Index("ix_custody_event_supplier", "supplier_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    stream: str = Field(max_length=64)
    seq: int
    biz_step: str = Field(max_length=40)
    action: str = Field(max_length=10)
    disposition: str | None = Field(default=None, max_length=40)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    tz_offset: str = Field(max_length=6)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_role: str = Field(max_length=20)
    school_id: int | None = Field(default=None, foreign_key="school.id")
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    batch_id: int | None = Field(default=None, foreign_key="batch.id")
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=64)
    corrects_event_id: str | None = Field(default=None, max_length=36)
    # Stored as the exact canonical JSON text that was hashed.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ChainHead(SQLModel, table=True):
    """The newest (seq, hash) of each chain, kept outside the event table so that
    deleting the newest events of a chain does not go unnoticed."""

    __tablename__ = "chain_head"

    stream: str = Field(primary_key=True, max_length=64)
    seq: int
    hash: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# The head moves with the log, inside the database: every event row inserted moves its
# chain's head in the same statement. Writers still lock the head row first (FOR UPDATE /
# BEGIN IMMEDIATE) to learn the previous hash; the trigger saves them a second statement
# per event, and a savepoint rolled back takes the head back with its events. Heads only
# move forward. The migration 7c2d4e9a1b30 creates the same objects.
CHAIN_HEAD_TRIGGER_SQLITE = """
CREATE TRIGGER IF NOT EXISTS custody_event_moves_head AFTER INSERT ON custody_event
BEGIN
    INSERT INTO chain_head (stream, seq, hash, updated_at) VALUES (NEW.stream, NEW.seq, NEW.hash, NEW.recorded_at)
    ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at
    WHERE excluded.seq > chain_head.seq;
END
"""
CHAIN_HEAD_FUNCTION_POSTGRESQL = """
CREATE OR REPLACE FUNCTION custody_event_moves_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chain_head (stream, seq, hash, updated_at) VALUES (NEW.stream, NEW.seq, NEW.hash, NEW.recorded_at)
    ON CONFLICT (stream) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at
    WHERE EXCLUDED.seq > chain_head.seq;
    RETURN NULL;
END
$$
"""
CHAIN_HEAD_TRIGGER_POSTGRESQL = """
CREATE OR REPLACE TRIGGER custody_event_moves_head AFTER INSERT ON custody_event
FOR EACH ROW EXECUTE FUNCTION custody_event_moves_head()
"""

# After the whole schema exists: the trigger is on one table and writes the other.
for _statement, _dialect in ((CHAIN_HEAD_TRIGGER_SQLITE, "sqlite"), (CHAIN_HEAD_FUNCTION_POSTGRESQL, "postgresql"),
                             (CHAIN_HEAD_TRIGGER_POSTGRESQL, "postgresql")):
    event.listen(SQLModel.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
event.listen(SQLModel.metadata, "after_drop",
             DDL("DROP FUNCTION IF EXISTS custody_event_moves_head()").execute_if(dialect="postgresql"))


class Checkpoint(SQLModel, table=True):
    """A signed statement of every chain head at one moment (like a CT signed tree head)."""

    __tablename__ = "checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # The signed body (canonical JSON): number, time, previous checkpoint hash,
    # stream count, root over all heads, and the heads that changed.
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_hash: str = Field(max_length=64)
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=64)


class CheckpointedHead(SQLModel, table=True):
    """Every chain head as of the latest checkpoint (the checkpoint job is its only writer)."""

    __tablename__ = "checkpointed_head"

    stream: str = Field(primary_key=True, max_length=64)
    seq: int
    hash: str = Field(max_length=64)
    checkpoint_number: int


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
