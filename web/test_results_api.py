"""Routes for test results: rapid tests by canteens and inspectors, laboratory results by
inspectors, their corrections, and reading them back.

Who may test or read a batch depends on the canteens (a canteen tests and sees what it was
sent), so the routes stand on the top floor with the batch reads; the rules, including the
hold a failed test puts on its batch, are the inspections' service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from inspections import service
from inspections.models import LAB_REPORT, TestResult
from inspections.schemas import TestResultCorrection, TestResultCreate, TestResultPublic
from trace.custody import Actor
from trace.deps import SessionDep, WriteDep
from trace.errors import NotFound
from trace.fields import PathId
from trace.models import Role
from trace.policy import allow
from trace.queries import batch_for_reader

router = APIRouter(tags=["inspections 监管"])


def _readable(session, actor: Actor, test_id: int) -> TestResult:
    result = service.test_result_get(session, test_id)
    batch_for_reader(session, actor, result.batch_id)
    if actor.role == Role.canteen_staff and result.school_id not in (None, actor.school_id):
        # Another school's rapid test of the same batch: told as an id that names nothing.
        raise NotFound("test_result_not_found", f"检测结果 {test_id} 不存在", f"Test result {test_id} not found",
                       test_result_id=test_id)
    return result


@router.post("/test-results", response_model=TestResultPublic, status_code=201,
             summary="Record a test of a batch (rapid test or laboratory result); the verdict is computed")
def test_result_create(actor: allow("test.record"), body: TestResultCreate, ctx: WriteDep):
    """A failed laboratory result, or a rapid positive every re-test repeated, seals the batch at once."""
    def write():
        service.assert_may_enter(actor, body.kind)
        batch_for_reader(ctx.session, actor, body.batch_id)
        school_id = actor.school_id if actor.role == Role.canteen_staff and body.school_id is None else body.school_id
        method = body.method
        if body.kind == LAB_REPORT and body.item.strip():
            method = f"{body.item.strip()}（{(body.method or '').strip()}）"[:100] if body.method else body.item.strip()
        return TestResultPublic.model_validate(service.test_result_record(
            ctx.session, actor=actor, batch_id=body.batch_id, kind=body.kind, tested_at=body.tested_at,
            value=body.value, school_id=school_id, method=method, value_unit=body.value_unit,
            retest_of_id=body.retest_of_id, laboratory=body.laboratory, report_number=body.report_number,
            limit_value=body.limit_value,
            limit_kind=body.limit_kind or ("max" if body.kind == LAB_REPORT else None)))
    return ctx.run(write)


@router.get("/test-results/{test_id}", response_model=TestResultPublic, summary="One test result")
def test_result_read(actor: allow("test.read"), test_id: PathId, session: SessionDep):
    return _readable(session, actor, test_id)


@router.get("/batches/{batch_id}/test-results", response_model=list[TestResultPublic],
            summary="Every test of a batch the caller may see, corrections included")
def batch_test_results(actor: allow("test.read"), batch_id: PathId, session: SessionDep):
    batch_for_reader(session, actor, batch_id)
    return [t for t in service.tests_of_batch(session, batch_id)
            if actor.role != Role.canteen_staff or t.school_id in (None, actor.school_id)]


@router.post("/test-results/{test_id}/corrections", response_model=TestResultPublic, status_code=201,
             summary="Correct a test result: a new result pointing at the old one, its verdict computed again")
def test_result_correction(actor: allow("test.record"), test_id: PathId, body: TestResultCorrection,
                           ctx: WriteDep):
    def write():
        original = _readable(ctx.session, actor, test_id)
        service.assert_may_enter(actor, original.kind)
        return TestResultPublic.model_validate(service.test_result_correct(
            ctx.session, actor=actor, test_id=test_id, reason=body.reason, tested_at=body.tested_at,
            value=body.value, limit_value=body.limit_value, limit_kind=body.limit_kind, method=body.method,
            value_unit=body.value_unit, laboratory=body.laboratory, report_number=body.report_number))
    return ctx.run(write)


async def _report_body(request: Request) -> bytes:
    # The file is the request body as sent (Content-Type: application/pdf, image/jpeg or image/png);
    # its kind is told by its first bytes in the service, not by this header.
    return await request.body()


ReportBody = Annotated[bytes, Depends(_report_body)]


@router.post("/test-results/{test_id}/report", response_model=TestResultPublic,
             openapi_extra={"requestBody": {"required": True, "content": {
                 kind: {"schema": {"type": "string", "format": "binary"}}
                 for kind in ("application/pdf", "image/jpeg", "image/png")}}},
             summary="Attach the report file (PDF, JPEG or PNG, checked by content; size limited by a setting)")
def test_report_attach(actor: allow("test.record"), test_id: PathId, content: ReportBody, ctx: WriteDep):
    def write():
        original = _readable(ctx.session, actor, test_id)
        service.assert_may_attach_report(actor, original)
        return TestResultPublic.model_validate(service.test_report_attach(ctx.session, test_id=test_id,
                                                                          content=content))
    return ctx.run(write, status_code=200)


@router.get("/test-results/{test_id}/report", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
            summary="The report file of a test result, to those who may read the result")
def test_report_read(actor: allow("test.read"), test_id: PathId, session: SessionDep):
    _readable(session, actor, test_id)
    content, media_type = service.test_report_read(session, test_id)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'inline; filename="test-report-{test_id}"',
                             "X-Content-Type-Options": "nosniff"})
