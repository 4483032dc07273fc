"""Shapes of the custody core's API: accounts, events, verification, checkpoints.

The trace answers, which carry every domain's shapes, are in ``trace.query_schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trace.fields import RowId
from trace.models import Role


class UserCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "staff-zq-s01-3", "display_name": "示例一小食堂验收员", "role": "canteen_staff", "school_id": 1},
    ]})

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    role: Role
    supplier_id: RowId | None = None
    school_id: RowId | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    supplier_id: int | None
    school_id: int | None
    active: bool


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["扫码枪 1 号"])


class TokenIssued(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored")
    user: UserPublic


class Me(BaseModel):
    user_id: int | None
    role: str
    supplier_id: int | None
    school_id: int | None
    name: str


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: str
    stream: str
    seq: int
    biz_step: str
    action: str
    disposition: str | None
    occurred_at: datetime
    tz_offset: str
    recorded_at: datetime
    actor_user_id: int | None
    actor_role: str
    school_id: int | None
    supplier_id: int | None
    batch_id: int | None
    subject_type: str
    subject_id: str
    corrects_event_id: str | None
    payload: Any
    prev_hash: str
    hash: str

    @field_validator("payload", mode="before")
    @classmethod
    def _parse_payload(cls, value: Any) -> Any:
        import json

        return json.loads(value) if isinstance(value, str) else value


class ChainTipPublic(BaseModel):
    seq: int
    hash: str


class ChainProblemPublic(BaseModel):
    stream: str
    kind: str
    seq: int
    event_row_id: int | None
    detail: str
    recorded: ChainTipPublic | None = Field(
        default=None, description="The head a chain-head row or checkpoint recorded for this chain")
    found: ChainTipPublic | None = Field(
        default=None, description="What the chain now has there: its last event, or its event at the recorded seq")


class VerificationPublic(BaseModel):
    ok: bool
    chains_checked: int
    events_checked: int
    checkpoints_checked: int
    problems: list[ChainProblemPublic]
    first_problem: ChainProblemPublic | None


class CheckpointPublic(BaseModel):
    body: dict[str, Any]
    body_text: str
    signature: str
    key_id: str
    public_key_pem: str


class HeldCheckpoint(BaseModel):
    """A checkpoint document an inspector kept, to verify against."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"body_text": '{"changed":{…},"number":12,…}', "signature": "base64 Ed25519 signature"}]})

    body_text: str
    signature: str
