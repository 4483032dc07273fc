"""Routes for holds, releases and recalls of batches (market supervision)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from inspections import service
from inspections.schemas import StatusChange
from suppliers.public import batch_public
from suppliers.schemas import BatchPublic
from trace.custody import Actor
from trace.deps import WriteDep, require_roles
from trace.fields import PathId
from trace.models import Role

router = APIRouter(tags=["inspections 监管"])

Supervisor = Annotated[Actor, Depends(require_roles(Role.admin, Role.inspector))]
# 封存 and 解除封存 are market supervision's measures: inspectors take them, not platform admins.
Inspector = Annotated[Actor, Depends(require_roles(Role.inspector))]


def _change(action: str):
    def handler(batch_id: PathId, body: StatusChange, ctx: WriteDep, _: Supervisor):
        return ctx.run(lambda: batch_public(ctx.session, service.batch_change_status(
            ctx.session, actor=ctx.actor, batch_id=batch_id, action=action, reason=body.reason)), status_code=200)
    return handler


def _seal(action: str):
    def handler(batch_id: PathId, body: StatusChange, ctx: WriteDep, _: Inspector):
        return ctx.run(lambda: batch_public(ctx.session, service.batch_change_status(
            ctx.session, actor=ctx.actor, batch_id=batch_id, action=action, reason=body.reason)), status_code=200)
    return handler


router.add_api_route("/batches/{batch_id}/hold", _seal("hold"), methods=["POST"], response_model=BatchPublic,
                     summary="Seal a batch (封存, inspectors): no shipping, receiving or use until the seal is lifted")
router.add_api_route("/batches/{batch_id}/release", _seal("release"), methods=["POST"],
                     response_model=BatchPublic, summary="Lift the seal on a batch (解除封存, inspectors)")
router.add_api_route("/batches/{batch_id}/recall", _change("recall"), methods=["POST"],
                     response_model=BatchPublic, summary="Recall a batch (召回)")
