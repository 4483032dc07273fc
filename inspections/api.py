"""Routes for holds, releases and recalls of batches (market supervision)."""

from __future__ import annotations

from fastapi import APIRouter

from inspections import service
from inspections.schemas import StatusChange
from suppliers.public import batch_public
from suppliers.schemas import BatchPublic
from trace.deps import WriteDep
from trace.fields import PathId
from trace.policy import requires

router = APIRouter(tags=["inspections 监管"])


def _change(action: str):
    def handler(batch_id: PathId, body: StatusChange, ctx: WriteDep):
        return ctx.run(lambda: batch_public(ctx.session, service.batch_change_status(
            ctx.session, actor=ctx.actor, batch_id=batch_id, action=action, reason=body.reason)), status_code=200)
    return handler


router.add_api_route("/batches/{batch_id}/hold", _change("hold"), methods=["POST"],
                     dependencies=[requires("batch.hold")],
                     response_model=BatchPublic,
                     summary="Seal a batch (封存, inspectors): no shipping, receiving or use until the seal is lifted")
router.add_api_route("/batches/{batch_id}/release", _change("release"), methods=["POST"],
                     dependencies=[requires("batch.hold")],
                     response_model=BatchPublic, summary="Lift the seal on a batch (解除封存, inspectors)")
router.add_api_route("/batches/{batch_id}/recall", _change("recall"), methods=["POST"],
                     dependencies=[requires("batch.recall")],
                     response_model=BatchPublic, summary="Recall a batch (召回)")
