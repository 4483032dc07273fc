"""What a canteen's phone did while it had no network, as the server received it.

Each queued action arrives once as a ``device_operation``: its client operation id is
unique, so a queue synced twice (or by two tabs at once) is applied once. The row keeps
when it happened on the device (with the offset the device sent) beside when it arrived,
and its outcome: the record it wrote, or why it was refused. A refusal is never dropped:
it waits for a staff member of the school to resolve it with a note (canteens.device_sync).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from trace.db import UTCDateTime, utcnow


class OperationStatus(StrEnum):
    applied = "applied"
    refused = "refused"
    resolved = "resolved"  # a refusal a staff member has dealt with


class DeviceOperation(SQLModel, table=True):
    __tablename__ = "device_operation"
    # (school, status) serves the list of refusals waiting on /canteen/sync and its count.
    __table_args__ = (Index("ix_device_operation_school_status", "school_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    client_operation_id: str = Field(max_length=36, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    school_id: int = Field(foreign_key="school.id")
    kind: str = Field(max_length=40)
    body: str  # the action's fields as JSON text, as the device sent them
    meal_id: int | None = None
    # When it happened on the device, in UTC, and the UTC offset the device gave it.
    device_occurred_at: datetime = Field(sa_type=UTCDateTime)
    device_utc_offset_minutes: int
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(max_length=10)  # an OperationStatus: text, not a database enum type
    # Applied: the record it wrote (e.g. kitchen_use 12).
    record_type: str | None = Field(default=None, max_length=40)
    record_id: int | None = None
    # Refused: why, as the service said it.
    refusal_code: str | None = Field(default=None, max_length=60)
    refusal_zh: str | None = Field(default=None, max_length=500)
    refusal_en: str | None = Field(default=None, max_length=500)
    # Resolved: by whom, when, and what was done (e.g. 已退回供应商).
    resolved_by: int | None = Field(default=None, foreign_key="app_user.id")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_note: str | None = Field(default=None, max_length=500)

    @property
    def device_time(self) -> datetime:
        """When it happened, on the device's own clock and offset."""
        return self.device_occurred_at.astimezone(timezone(timedelta(minutes=self.device_utc_offset_minutes)))
