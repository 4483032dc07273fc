"""Test results, and the holds and recalls inspectors take: rules only, no HTTP.

A hold or recall changes the batch's status through the suppliers' service, which owns
the batch and writes the custody event in the same transaction.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Row, insert, select
from sqlmodel import Session

from inspections import rapid_tests
from inspections.models import LAB_REPORT, LIMIT_KINDS, LIMIT_MAX, TestOutcome, TestResult
from suppliers import service as supplier_service
from suppliers.models import Batch, BatchStatus
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
    limit_value: Decimal | None = None,
    limit_kind: str | None = None,
    corrects_id: int | None = None,
    correction_reason: str | None = None,
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
        if limit_value is not None or limit_kind is not None:
            outcome = _laboratory_outcome(value, limit_value, limit_kind, outcome)
            limit_value, limit_kind = quantity(limit_value), limit_kind or LIMIT_MAX
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
    written = test_result_insert(session, {
        "batch_id": batch.id, "school_id": school_id, "kind": kind, "method": method, "value": value,
        "value_unit": value_unit, "outcome": outcome, "laboratory": laboratory, "report_number": report_number,
        "tested_at": tested_at, "tested_by": actor.user_id, "event_id": event.event_id, "verdict": verdict,
        "warning": warning, "false_positive_prone": prone, "retest_of_id": retest_of_id,
        "limit_value": limit_value, "limit_kind": limit_kind if rapid is None else None,
        "corrects_id": corrects_id, "correction_reason": correction_reason})
    _hold_if_it_counts(session, actor=actor, batch=batch, result=written)
    return written


def _laboratory_outcome(value: Decimal | None, limit_value: Decimal | None, limit_kind: str | None,
                        typed: TestOutcome | None) -> TestOutcome:
    """A laboratory verdict from value and limit: a maximum is met up to and at the limit, a
    minimum from the limit up. Never typed by hand."""
    if typed is not None:
        raise Invalid("verdict_is_computed", "检验结论由检测值和限量算出，不能直接填写",
                      "The verdict is computed from the value and the limit; do not give it")
    if value is None or limit_value is None:
        raise Invalid("laboratory_value_and_limit_required", "实验室检验结果须填写检测值和限量",
                      "A laboratory result needs its value and its limit")
    kind = limit_kind or LIMIT_MAX
    if kind not in LIMIT_KINDS:
        raise Invalid("limit_kind_unknown", "限量类型只能是“不超过”（max）或“不低于”（min）",
                      "The limit kind is max (not above) or min (not below)", limit_kind=kind)
    value, limit_value = quantity(value), quantity(limit_value)
    met = value <= limit_value if kind == LIMIT_MAX else value >= limit_value
    return TestOutcome.passed if met else TestOutcome.failed


def _hold_if_it_counts(session: Session, *, actor: Actor, batch: Batch, result: Row[Any]) -> None:
    """A failed laboratory result, or a rapid positive that every re-test repeated, seals the
    batch at once (domain.md §4.2: 暂停使用), unless it is sealed or recalled already.

    The caller holds the batch lock (taken first in test_result_record), so the hold and the
    result commit together and no use or receipt slips in between."""
    if batch.status != BatchStatus.active:
        return
    if result.verdict is None:
        if result.outcome != TestOutcome.failed:
            return
        name, number = "实验室检验不合格", result.report_number or f"#{result.id}"
    else:
        first_id = result.retest_of_id or result.id
        if rapid_test_standing(session, first_id) != rapid_tests.Standing.counts:
            return
        name, number = "快检阳性且复检均为阳性", f"#{first_id}"
    reason = f"{name}（检测结果 {number}，{result.method}）：自动封存，暂停使用"
    supplier_service.batch_change_status(session, actor=actor, batch_id=batch.id, action="hold", reason=reason[:500])


def batches_failing_tests(session: Session, batch_ids: set[int]) -> set[int]:
    """Which of these batches have a failed laboratory result, or a rapid positive that every
    re-test repeated: what a canteen's notice of a sealed batch names as its cause."""
    if not batch_ids:
        return set()
    statement = select(TestResult).where(TestResult.batch_id.in_(batch_ids), TestResult.retest_of_id.is_(None),
                                         (TestResult.outcome == TestOutcome.failed)
                                         | (TestResult.verdict == rapid_tests.Verdict.positive.value))
    found = set()
    for result in session.execute(statement).scalars():
        if result.verdict is None or rapid_test_standing(session, result.id) == rapid_tests.Standing.counts:
            found.add(result.batch_id)
    return found


# A report is a PDF, a JPEG or a PNG, told by its first bytes: a name or a Content-Type is
# only what the sender claims.
_REPORT_SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
                      (b"\x89PNG\r\n\x1a\n", "image/png"))


def _report_path(test_id: int) -> Path:
    return get_settings().data_dir / "test-reports" / str(test_id)


def report_limit() -> int:
    return get_settings().test_report_max_bytes


def test_report_attach(session: Session, *, test_id: int, content: bytes) -> TestResult:
    """Attach the report file to a result, once: a different report is a correction's."""
    result = test_result_get(session, test_id)
    supplier_service.batch_lock(session, result.batch_id)
    session.refresh(result)
    limit = get_settings().test_report_max_bytes
    if len(content) > limit:
        raise Invalid("report_too_large", f"报告文件不能超过 {limit // 1024} KB",
                      f"A report file may be at most {limit // 1024} KB", max_bytes=limit)
    media_type = next((kind for magic, kind in _REPORT_SIGNATURES if content.startswith(magic)), None)
    if media_type is None:
        raise Invalid("report_type_not_allowed", "报告文件只能是 PDF、JPEG 或 PNG",
                      "A report file must be a PDF, JPEG or PNG")
    if result.report_sha256 is not None:
        raise Conflict("report_already_attached", "该检测结果已附报告；如需更换，请录入更正",
                       "This result has its report; to replace it, enter a correction", test_result_id=test_id)
    path = _report_path(test_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_suffix(".part")
    written.write_bytes(content)
    written.replace(path)  # whole or not at all
    result.report_media_type, result.report_sha256 = media_type, hashlib.sha256(content).hexdigest()
    session.add(result)
    session.flush()
    return result


def test_report_read(session: Session, test_id: int) -> tuple[bytes, str]:
    result = test_result_get(session, test_id)
    path = _report_path(test_id)
    if result.report_sha256 is None or not path.exists():
        raise NotFound("report_not_attached", "该检测结果没有附报告文件", "This result has no report file attached",
                       test_result_id=test_id)
    return path.read_bytes(), result.report_media_type or "application/octet-stream"


def assert_may_enter(actor: Actor, kind: str) -> None:
    """A laboratory's report is entered by market supervision; a canteen records its own rapid tests."""
    if kind == LAB_REPORT and actor.role != "inspector":
        raise Forbidden("laboratory_results_inspectors_only", "实验室检验结果只能由监管人员录入",
                        "Only inspectors enter laboratory results")


def assert_may_attach_report(actor: Actor, result: TestResult) -> None:
    """The report of a result is attached by whoever may enter it; a canteen only to its own school's tests."""
    assert_may_enter(actor, result.kind)
    if actor.role == "canteen_staff" and result.school_id != actor.school_id:
        raise Forbidden("not_your_test_result", "只能为本校记录的快检结果附报告",
                        "You can only attach reports to your school's rapid tests", test_result_id=result.id)


def test_result_get(session: Session, test_id: int) -> TestResult:
    result = session.get(TestResult, test_id)
    if result is None:
        raise NotFound("test_result_not_found", f"检测结果 {test_id} 不存在", f"Test result {test_id} not found",
                       test_result_id=test_id)
    return result


def correction_of(session: Session, test_id: int) -> TestResult | None:
    statement = select(TestResult).where(TestResult.corrects_id == test_id).limit(1)
    return session.execute(statement).scalar_one_or_none()


def test_result_correct(session: Session, *, actor: Actor, test_id: int, reason: str, tested_at: datetime,
                        value: Decimal | None, limit_value: Decimal | None = None, limit_kind: str | None = None,
                        method: str | None = None, value_unit: str | None = None, laboratory: str | None = None,
                        report_number: str | None = None) -> Row[Any]:
    """Correct a result: a new result naming the one it corrects, its verdict computed again.

    The original stays as it was (custody data is append-only); a result is corrected at most
    once, so correcting again means correcting the correction."""
    original = test_result_get(session, test_id)
    supplier_service.batch_lock(session, original.batch_id)
    if correction_of(session, test_id) is not None:
        raise Conflict("test_result_already_corrected", "该检测结果已被更正，请更正最新的那一条",
                       "This result was corrected already; correct the latest one", test_result_id=test_id)
    if original.retest_of_id is not None:
        raise Conflict("retest_not_correctable", "复检结果不能单独更正", "A re-test is not corrected on its own",
                       test_result_id=test_id)
    if actor.role == "canteen_staff" and (original.school_id != actor.school_id or original.verdict is None):
        raise Forbidden("not_your_test_result", "只能更正本校记录的快检结果",
                        "You can only correct your school's rapid tests", test_result_id=test_id)
    rapid = original.verdict is not None
    return test_result_record(
        session, actor=actor, batch_id=original.batch_id, kind=original.kind, tested_at=tested_at, value=value,
        school_id=original.school_id, method=method or original.method,
        value_unit=value_unit if value_unit is not None else original.value_unit,
        laboratory=laboratory if laboratory is not None else original.laboratory,
        report_number=report_number if report_number is not None else original.report_number,
        limit_value=None if rapid else (limit_value if limit_value is not None else original.limit_value),
        limit_kind=None if rapid else (limit_kind or original.limit_kind or LIMIT_MAX),
        corrects_id=original.id, correction_reason=reason)


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
