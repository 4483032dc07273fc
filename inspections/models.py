"""Test results on batches (rapid tests at receipt, laboratory reports).

The workflows (holds on a positive result, recalls, the audit workspace) come with
their own issue; the table is here so tests attach to the chain from the start.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Field, SQLModel

from inspections.rapid_tests import CLENBUTEROL, ENZYME_INHIBITION
from trace.db import Quantity, UTCDateTime, utcnow
from trace.i18n import N_


class TestOutcome(StrEnum):
    """A coarse disposition of any test. A rapid test's own result is its ``verdict``
    (阴性 / 阳性（待确证）): a rapid test never says 合格 or 不合格 (domain.md §4.2), so
    its positives are recorded here as ``warning``, not ``failed``."""

    __test__ = False  # not a pytest class

    passed = "pass"
    warning = "warning"  # e.g. enzyme inhibition in the configurable 40–50 % band
    failed = "fail"


OUTCOME_LABELS = {
    TestOutcome.passed: N_("Pass"),
    TestOutcome.warning: N_("Warning"),
    TestOutcome.failed: N_("Fail"),
}

LAB_REPORT = "lab_report"

# How a laboratory value meets its limit: most limits are maxima (残留限量 ≤), a few minima
# (e.g. a content that must reach a level). The verdict is computed, never typed.
LIMIT_MAX = "max"
LIMIT_MIN = "min"
LIMIT_KINDS = (LIMIT_MAX, LIMIT_MIN)

# What each kind of test is called on a page; a kind not named here is shown as it is stored.
TEST_KIND_LABELS = {
    ENZYME_INHIBITION: N_("Pesticide residue rapid test (enzyme inhibition)"),
    CLENBUTEROL: N_("Clenbuterol rapid test"),
    LAB_REPORT: N_("Laboratory test"),
}


class TestResult(SQLModel, table=True):
    __test__ = False
    __tablename__ = "test_result"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    kind: str = Field(max_length=40)  # pesticide_enzyme_inhibition, clenbuterol, lab_report…
    method: str = Field(max_length=100)  # e.g. GB/T 5009.199-2003
    value: Decimal | None = Field(default=None, sa_type=Quantity)
    value_unit: str = Field(default="", max_length=20)
    outcome: TestOutcome = Field(max_length=10)
    laboratory: str = Field(default="", max_length=200)
    report_number: str = Field(default="", max_length=64)
    tested_at: datetime = Field(sa_type=UTCDateTime)
    tested_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    corrects_id: int | None = Field(default=None, foreign_key="test_result.id")
    event_id: str = Field(max_length=36)
    # Rapid tests only (inspections.rapid_tests.Verdict): computed from value and threshold.
    verdict: str | None = Field(default=None, max_length=10)
    warning: bool = False  # a negative in the configurable warning band (§4.1)
    false_positive_prone: bool = False  # a vegetable known to give false positives (§4.1)
    # A re-test points at the positive it re-tests (§4.1: re-tested twice by the same method).
    retest_of_id: int | None = Field(default=None, foreign_key="test_result.id", index=True)
    # Laboratory results only: the limit the value is judged against, and which way (LIMIT_KINDS).
    limit_value: Decimal | None = Field(default=None, sa_type=Quantity)
    limit_kind: str | None = Field(default=None, max_length=3)
    correction_reason: str | None = Field(default=None, max_length=500)  # only on corrections
    # The report file, once attached (inspections.service.test_report_attach): kept under data_dir.
    report_media_type: str | None = Field(default=None, max_length=20)
    report_sha256: str | None = Field(default=None, max_length=64)
