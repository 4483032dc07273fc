"""The batch page's form for a laboratory result (issue 13): an inspector enters a
laboratory's report with its file; the verdict is computed, a failure seals the batch.

PRG: a saved result redirects back to the batch page; a refusal shows the page again with
the message above it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from inspections import service as inspection_service
from inspections.models import LAB_REPORT, LIMIT_KINDS
from trace.batch_reads import BatchForReader
from trace.clock import local_zone
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.pages import see_other
from trace.policy import allow
from web.inspect import _batch_page, _message

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=200)]


def _number(text: str, code: str, zh: str, en: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("，", ".").replace(",", "."))
    except InvalidOperation as bad:
        raise Invalid(code, zh, en) from bad
    if not value.is_finite() or not (0 <= value < 10**12):
        raise Invalid(code, zh, en)
    return value


def _tested_at(text: str) -> datetime:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as bad:
        raise Invalid("tested_on_required", "请填写检验日期", "Give the date of the test") from bad
    return datetime.combine(day, time(12), tzinfo=local_zone())


@router.post("/inspect/batches/{batch_id}/tests")
def lab_result_enter(actor: allow("test.laboratory"), batch: BatchForReader, request: Request,
                     session: SessionDep, item: FormText = "", method: FormText = "", value: FormText = "",
                     value_unit: FormText = "", limit_value: FormText = "", limit_kind: FormText = "max",
                     laboratory: FormText = "", report_number: FormText = "", tested_on: FormText = "",
                     report: Annotated[UploadFile | None, File()] = None) -> Response:
    try:
        if not item.strip() or not method.strip():
            raise Invalid("test_item_required", "请填写检测项目和检验方法（标准）",
                          "Give the test item and the method or standard")
        if limit_kind not in LIMIT_KINDS:
            raise Invalid("limit_kind_unknown", "限量类型只能是“不超过”或“不低于”",
                          "The limit is a maximum or a minimum")
        measured = _number(value, "test_value_required", "请填写检测值（数字）", "Give the value (a number)")
        limit = _number(limit_value, "laboratory_value_and_limit_required", "请填写限量（数字）",
                        "Give the limit (a number)")
        content = report.file.read(inspection_service.report_limit() + 1) if report and report.filename else b""
        with write_transaction(session):
            result = inspection_service.test_result_record(
                session, actor=actor, batch_id=batch.id, kind=LAB_REPORT, tested_at=_tested_at(tested_on),
                value=measured, method=f"{item.strip()}（{method.strip()}）"[:100], value_unit=value_unit.strip()[:20],
                limit_value=limit, limit_kind=limit_kind, laboratory=laboratory.strip(),
                report_number=report_number.strip()[:64])
            if content:
                inspection_service.test_report_attach(session, test_id=result.id, content=content)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _batch_page(request, session, actor, batch.id, status=refused.status, error=_message(request, refused))
    return see_other(f"/inspect/batches/{batch.id}#test-{result.id}")
