"""Shapes for test results and batch holds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from inspections.models import LAB_REPORT, TestOutcome
from inspections.rapid_tests import CLENBUTEROL, ENZYME_INHIBITION
from trace.fields import RowId

Reading = Field(ge=0, lt=10**12, max_digits=15, decimal_places=3)


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
    limit_value: Decimal | None = None
    limit_kind: str | None = None
    corrects_id: int | None = None
    correction_reason: str | None = None
    report_media_type: str | None = None
    report_sha256: str | None = None


class TestResultCreate(BaseModel):
    """A test of a batch. Rapid tests give their reading; laboratory results their value and
    limit. The verdict is computed from them, never sent."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "batch_id": 1, "kind": "lab_report", "item": "毒死蜱", "method": "GB 23200.113-2018", "value": "0.08",
        "value_unit": "mg/kg", "limit_value": "0.05", "limit_kind": "max", "laboratory": "济南市食品药品检验检测中心",
        "report_number": "JN2026-1130-07", "tested_at": "2026-11-30T09:00:00+08:00"}]})

    batch_id: RowId
    kind: Literal[ENZYME_INHIBITION, CLENBUTEROL, LAB_REPORT]  # type: ignore[valid-type]
    item: str = Field(default="", max_length=100, description="What was tested for (检测项目), laboratory results")
    method: str | None = Field(default=None, max_length=100, description="Method or standard; rapid tests default "
                                                                            "to their own")
    value: Decimal = Reading
    value_unit: str | None = Field(default=None, max_length=20)
    limit_value: Decimal | None = Field(default=None, ge=0, lt=10**12, max_digits=15, decimal_places=3)
    limit_kind: Literal["max", "min"] | None = None
    laboratory: str = Field(default="", max_length=200)
    report_number: str = Field(default="", max_length=64)
    school_id: RowId | None = Field(default=None, description="Rapid tests at a canteen: the school")
    retest_of_id: RowId | None = Field(default=None, description="A re-test: the first positive it repeats")
    tested_at: AwareDatetime


class TestResultCorrection(BaseModel):
    """A correction: the new reading (and, for a laboratory result, whatever else changed)."""

    __test__ = False
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=500, examples=["报告数值录入错误，按报告原件更正"])
    value: Decimal = Reading
    limit_value: Decimal | None = Field(default=None, ge=0, lt=10**12, max_digits=15, decimal_places=3)
    limit_kind: Literal["max", "min"] | None = None
    method: str | None = Field(default=None, max_length=100)
    value_unit: str | None = Field(default=None, max_length=20)
    laboratory: str | None = Field(default=None, max_length=200)
    report_number: str | None = Field(default=None, max_length=64)
    tested_at: AwareDatetime


class StatusChange(BaseModel):
    reason: str = Field(min_length=2, max_length=500, examples=["农残快检阳性，复检中"])
