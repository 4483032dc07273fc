"""The route a phone syncs its queued actions to (thin; the rules are canteens.device_sync)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from canteens import device_sync
from canteens.device_sync import QueuedOperation, SyncOutcome
from canteens.sync_models import OperationStatus
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import ErrorDetail
from trace.policy import allow

router = APIRouter(tags=["canteens 学校食堂"])


class SyncRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"operations": [{
        "client_operation_id": "0b6c2f7e-3c1d-4a8e-9f20-5d7b1e6a4c11", "kind": "use",
        "body": {"batch_id": "1", "quantity": "12.5", "meal": "lunch", "dish": "米饭"},
        "device_occurred_at": "2025-11-03T11:02:40+08:00"}]}]})

    operations: list[QueuedOperation] = Field(min_length=1, max_length=100)


class SyncRecord(BaseModel):
    type: str = Field(examples=["kitchen_use"])
    id: int


class OperationResult(BaseModel):
    client_operation_id: str
    status: Literal["applied", "refused", "resolved"]
    already_known: bool = Field(description="The server had this action already: this is its stored outcome")
    record: SyncRecord | None = Field(default=None, description="Applied: the record it wrote")
    refusal: ErrorDetail | None = Field(default=None, description="Refused: why (kept for the school to resolve)")
    device_occurred_at: datetime | None = Field(default=None, description="When it happened, with the device's offset")
    received_at: datetime | None = None


class SyncResponse(BaseModel):
    results: list[OperationResult]


def result_of(outcome: SyncOutcome) -> OperationResult:
    row, refusal = outcome.operation, outcome.refusal
    result = OperationResult(client_operation_id=outcome.client_operation_id, status=OperationStatus(outcome.status).value,
                             already_known=outcome.already_known)
    if row is not None:
        result.device_occurred_at, result.received_at = row.device_time, row.received_at
        if row.record_type and row.record_id is not None:
            result.record = SyncRecord(type=row.record_type, id=row.record_id)
        if row.refusal_code:
            result.refusal = ErrorDetail.model_validate({"code": row.refusal_code, "message": {
                "zh-CN": row.refusal_zh or "", "en": row.refusal_en or ""}})
    if refusal is not None:
        result.refusal = ErrorDetail.model_validate({"code": refusal.code, "message": {
            "zh-CN": refusal.zh, "en": refusal.en}})
    return result


@router.post("/sync/operations", response_model=SyncResponse)
def sync_operations(actor: allow("sync.submit"), body: SyncRequest, session: SessionDep):
    """Apply actions a phone queued offline, each once and in its own transaction; answer each."""
    return SyncResponse(results=[result_of(device_sync.operation_submit_once(
        session, actor=actor, operation=operation, write=lambda: write_transaction(session)))
        for operation in body.operations])
