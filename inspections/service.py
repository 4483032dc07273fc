"""Test results, and the holds and recalls inspectors take: rules only, no HTTP.

A hold or recall changes the batch's status through the suppliers' service, which owns
the batch and writes the custody event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, insert, select
from sqlmodel import Session

from inspections import rapid_tests
from inspections.models import TestOutcome, TestResult
from suppliers import service as supplier_service
from suppliers.models import Batch
from trace.custody import Actor, record_event, stream_of
from trace.db import quantity, run_prebuilt
from trace.errors import Conflict, Forbidden, Invalid, NotFound
from trace.settings import get_settings

# A test result is written once, with a Core statement, and handed back as the row the
# database returned: plain data, never an object in the session's identity map.
_TEST_RESULTS = TestResult.__table__
_INSERT_TEST_RESULT = insert(_TEST_RESULTS).returning(*_TEST_RESULTS.c)


def test_result_insert(session: Session, columns: dict[str, Any]) -> Row[Any]:
    """Write a test result (``columns``: the test_result table's, but its id) and return it as written."""
    return run_prebuilt(session, _INSERT_TEST_RESULT, columns).one()


def test_result_record(
    session: Session,
    *,
    actor: Actor,
    batch_id: int,
    kind: str,
    tested_at: datetime,
    value: Decimal | None = None,
    school_id: int | None = None,
    method: str | None = None,
    value_unit: str | None = None,
    retest_of_id: int | None = None,
    outcome: TestOutcome | None = None,
    laboratory: str = "",
    report_number: str = "",
) -> Row[Any]:
    """Attach a test result to a batch: a rapid test at the door, or a laboratory's report.

    A rapid test gives its reading (``value``); the verdict is computed from it and the
    configured threshold (domain.md §4.1). Only a laboratory report states an outcome.
    """
    # Locked first (trace.locking), as every write on a batch: a failed test will hold it.
    batch = supplier_service.batch_lock(session, batch_id)
    value = quantity(value) if value is not None else None
    if actor.role == "canteen_staff" and school_id != actor.school_id:
        raise Forbidden("not_your_school", "只能为本校记录检测结果", "You can only record tests for your school")
    if actor.role == "supplier" and batch.supplier_id != actor.supplier_id:
        raise Forbidden("not_your_batch", "只能为本供应商的批次记录检测", "You can only record tests for your batches")
    rapid = rapid_tests.RAPID_TESTS.get(kind)
    if rapid is not None:
        method, value_unit = method or rapid.method, value_unit if value_unit is not None else rapid.value_unit
        reading = _rapid_reading(kind, value, outcome)
        product = supplier_service.product_get(session, batch.product_id)
        prone = rapid_tests.prone_to_false_positive(kind, product.name)
        if retest_of_id is not None:
            _assert_retest_of(session, retest_of_id, batch_id=batch.id, kind=kind, method=method,
                              school_id=school_id, tested_at=tested_at)
        verdict, warning = reading.verdict.value, reading.warning
        outcome = (TestOutcome.passed if reading.verdict == rapid_tests.Verdict.negative and not warning
                   else TestOutcome.warning)
    else:
        if outcome is None or not laboratory.strip():
            raise Invalid("laboratory_result_incomplete", "实验室检验结果须注明检验机构和结论（合格或不合格）",
                          "A laboratory result needs its laboratory and its outcome (pass or fail)", kind=kind)
        if retest_of_id is not None:
            raise Invalid("retest_not_rapid", "复检关联只用于快检结果", "Only rapid tests are re-tested this way")
        method, value_unit, verdict, warning, prone = method or "", value_unit or "", None, False, False
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="inspecting", action="OBSERVE",
        disposition="conformant" if verdict != rapid_tests.Verdict.positive and outcome != TestOutcome.failed
        else "non_conformant",
        actor=actor, subject_type="test_result", subject_id=f"{kind}", occurred_at=tested_at,
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=school_id,
        payload={"kind": kind, "method": method, "outcome": outcome.value, "verdict": verdict, "warning": warning,
                 "false_positive_prone": prone, "retest_of_id": retest_of_id,
                 "value": value, "value_unit": value_unit,
                 "laboratory": laboratory, "report_number": report_number},
    )
    return test_result_insert(session, {
        "batch_id": batch.id, "school_id": school_id, "kind": kind, "method": method, "value": value,
        "value_unit": value_unit, "outcome": outcome, "laboratory": laboratory, "report_number": report_number,
        "tested_at": tested_at, "tested_by": actor.user_id, "event_id": event.event_id, "verdict": verdict,
        "warning": warning, "false_positive_prone": prone, "retest_of_id": retest_of_id})


def _rapid_reading(kind: str, value: Decimal | None, outcome: TestOutcome | None) -> rapid_tests.Reading:
    if outcome is not None:
        raise Invalid("verdict_is_computed", "快检结论由检测值和判定阈值算出，不能直接填写",
                      "A rapid test's verdict is computed from its value and the threshold; give the value",
                      kind=kind)
    if value is None:
        raise Invalid("test_value_required", "快检须记录检测值（如抑制率 %）",
                      "A rapid test needs its reading (e.g. inhibition in %)", kind=kind)
    return rapid_tests.read(kind, value, get_settings())


def _assert_retest_of(session: Session, first_id: int, *, batch_id: int, kind: str, method: str,
                      school_id: int | None, tested_at: datetime) -> None:
    """A re-test repeats a first positive of the same batch, by the same method, at the same place (§4.1)."""
    # No lock of its own: the caller holds the batch lock (trace.locking), which orders
    # every test of this batch, so two re-tests at once cannot both be the last one allowed.
    first = session.get(TestResult, first_id)
    if first is None:
        raise NotFound("test_result_not_found", f"检测结果 {first_id} 不存在", f"Test result {first_id} not found",
                       test_result_id=first_id)
    if first.retest_of_id is not None or first.verdict != rapid_tests.Verdict.positive:
        raise Conflict("retest_of_not_positive", "复检只针对初检阳性的快检结果",
                       "Only a first rapid test that came out positive is re-tested", test_result_id=first_id)
    if (first.batch_id, first.kind, first.method, first.school_id) != (batch_id, kind, method, school_id):
        raise Conflict("retest_mismatch", "复检须针对同一批次、在同一地点、用同一方法进行",
                       "A re-test repeats the same test of the same batch, at the same place, by the same method",
                       test_result_id=first_id)
    if tested_at < first.tested_at:
        raise Invalid("dates_out_of_order", "复检时间早于初检时间", "A re-test cannot come before the first test")
    required = get_settings().rapid_test_retests
    if len(retests_of(session, first_id)) >= required:
        raise Conflict("retests_complete", f"该阳性结果已复检 {required} 次",
                       f"This positive has had its {required} re-tests", test_result_id=first_id)


def retests_of(session: Session, test_id: int) -> list[TestResult]:
    statement = select(TestResult).where(TestResult.retest_of_id == test_id).order_by(TestResult.id)
    return list(session.execute(statement).scalars())


def rapid_test_standing(session: Session, test_id: int) -> rapid_tests.Standing:
    """Whether a first rapid test's positive counts yet (§4.1): what a hold would act on."""
    first = session.get(TestResult, test_id)
    if first is None or first.verdict is None:
        raise NotFound("test_result_not_found", f"快检结果 {test_id} 不存在", f"Rapid test {test_id} not found",
                       test_result_id=test_id)
    return rapid_tests.standing(rapid_tests.Verdict(first.verdict),
                                [rapid_tests.Verdict(r.verdict) for r in retests_of(session, test_id)],
                                get_settings().rapid_test_retests)


def tests_of_batch(session: Session, batch_id: int) -> list[TestResult]:
    statement = select(TestResult).where(TestResult.batch_id == batch_id).order_by(TestResult.tested_at)
    return list(session.execute(statement).scalars())


def batch_change_status(session: Session, *, actor: Actor, batch_id: int, action: str, reason: str,
                        occurred_at: datetime | None = None) -> Batch:
    """Seal (封存), lift the seal (解除封存) or recall a batch: market supervision's measures.

    Who may take which measure is declared on the routes (inspections/api.py); the batch's
    status and its transitions are the suppliers' (``suppliers.service.batch_change_status``).
    """
    return supplier_service.batch_change_status(session, actor=actor, batch_id=batch_id, action=action,
                                                reason=reason, occurred_at=occurred_at)
