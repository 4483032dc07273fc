"""Shapes for test results and batch holds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from inspections.models import TestOutcome


class TestResultPublic(BaseModel):
    __test__ = False
    model_config = ConfigDict(from_attributes=True)
    id: int
    batch_id: int
    school_id: int | None
    kind: str
    method: str
    value: Decimal | None
    value_unit: str
    outcome: TestOutcome
    laboratory: str
    report_number: str
    tested_at: datetime
    tested_by: int
    event_id: str
    verdict: str | None = None
    warning: bool = False
    false_positive_prone: bool = False
    retest_of_id: int | None = None


class StatusChange(BaseModel):
    reason: str = Field(min_length=2, max_length=500, examples=["农残快检阳性，复检中"])
