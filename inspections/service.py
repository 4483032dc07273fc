"""Test results and batch holds: rules only, no HTTP.

Holds and recalls change a batch's status and write a custody event in the same
transaction; releasing a hold is a new event, never an edit of the old one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from inspections.models import BATCH_ACTION_LABELS, TestOutcome, TestResult
from suppliers import service as supplier_service
from trace.custody import Actor, record_event, stream_of
from trace.db import insert_now, quantity
from trace.errors import Conflict, Forbidden
from trace.i18n import label
from trace.models import BATCH_STATUS_LABELS, Batch, BatchStatus


def test_result_record(
    session: Session,
    *,
    actor: Actor,
    batch_id: int,
    kind: str,
    method: str,
    outcome: TestOutcome,
    tested_at: datetime,
    school_id: int | None = None,
    value: Decimal | None = None,
    value_unit: str = "",
    laboratory: str = "",
    report_number: str = "",
) -> TestResult:
    """Attach a test result to a batch (rapid test at receipt or a laboratory report)."""
    # Locked first (trace.locking), as every write on a batch: a failed test will hold it.
    batch = supplier_service.batch_lock(session, batch_id)
    value = quantity(value) if value is not None else None
    if actor.role == "canteen_staff" and school_id != actor.school_id:
        raise Forbidden("not_your_school", "只能为本校记录检测结果", "You can only record tests for your school")
    if actor.role == "supplier" and batch.supplier_id != actor.supplier_id:
        raise Forbidden("not_your_batch", "只能为本供应商的批次记录检测", "You can only record tests for your batches")
    event = record_event(
        session, stream=stream_of("batch", batch.id), biz_step="inspecting", action="OBSERVE",
        disposition="conformant" if outcome == TestOutcome.passed else "non_conformant",
        actor=actor, subject_type="test_result", subject_id=f"{kind}", occurred_at=tested_at,
        batch_id=batch.id, supplier_id=batch.supplier_id, school_id=school_id,
        payload={"kind": kind, "method": method, "outcome": outcome.value,
                 "value": value, "value_unit": value_unit,
                 "laboratory": laboratory, "report_number": report_number},
    )
    return insert_now(session, TestResult, batch_id=batch.id, school_id=school_id, kind=kind, method=method,
                      value=value, value_unit=value_unit,
                      outcome=outcome, laboratory=laboratory, report_number=report_number,
                      tested_at=tested_at, tested_by=actor.user_id, event_id=event.event_id)


def tests_of_batch(session: Session, batch_id: int) -> list[TestResult]:
    statement = select(TestResult).where(TestResult.batch_id == batch_id).order_by(TestResult.tested_at)
    return list(session.execute(statement).scalars())


_TRANSITIONS = {
    "hold": ({BatchStatus.active}, BatchStatus.on_hold, "holding", "non_conformant"),
    "release": ({BatchStatus.on_hold}, BatchStatus.active, "inspecting", "conformant"),
    "recall": ({BatchStatus.active, BatchStatus.on_hold}, BatchStatus.recalled, "holding", "recalled"),
}


def batch_change_status(session: Session, *, actor: Actor, batch_id: int, action: str, reason: str) -> Batch:
    """Seal (封存), lift the seal (解除封存) or recall a batch; sealing is for inspectors only (see api)."""
    allowed_from, target, biz_step, disposition = _TRANSITIONS[action]
    # The batch lock orders this change with every shipment, receipt and use of the batch:
    # those decide their gates after taking it, so none is recorded after the hold commits.
    batch = supplier_service.batch_lock(session, batch_id)
    if batch.status not in allowed_from:
        raise Conflict("batch_status_conflict",
                       f"批次 {batch.lot_code} 当前状态为“{label(BATCH_STATUS_LABELS[batch.status])}”，"
                       f"不能{label(BATCH_ACTION_LABELS[action])}",
                       f"Batch {batch.lot_code} is {BATCH_STATUS_LABELS[batch.status].lower()}; cannot "
                       f"{BATCH_ACTION_LABELS[action].lower()}", current_status=batch.status.value)
    batch.status = target
    session.add(batch)
    record_event(
        session, stream=stream_of("batch", batch.id), biz_step=biz_step, action="OBSERVE",
        disposition=disposition, actor=actor, subject_type="batch", subject_id=batch.id,
        batch_id=batch.id, supplier_id=batch.supplier_id,
        payload={"action": action, "status": target.value, "reason": reason},
    )
    session.flush()
    return batch
