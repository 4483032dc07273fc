"""Routes for corrections of receipts and kitchen uses (thin; the rules are canteens.corrections)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from canteens import corrections
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.current import receipts_public, uses_public
from canteens.deps import ReceiptForReader
from canteens.models import KitchenUse
from canteens.schemas import ReceiptPublic, UsePublic
from trace.deps import ActorDep, SessionDep, WriteDep
from trace.errors import NotFound
from trace.fields import PathId
from trace.policy import allow, sees_party

router = APIRouter(tags=["canteens 学校食堂"])


def use_for_school(use_id: PathId, session: SessionDep, actor: ActorDep) -> KitchenUse:
    """A kitchen use, for its school, inspectors and admins; anyone else is told it does not exist."""
    use = session.get(KitchenUse, use_id)
    if use is None or not sees_party(actor, school_id=use.school_id):
        raise NotFound("use_not_found", f"出库记录 {use_id} 不存在", f"Use {use_id} not found", use_id=use_id)
    return use


UseForSchool = Annotated[KitchenUse, Depends(use_for_school)]


@router.post("/receipts/{receipt_id}/corrections", response_model=ReceiptPublic, status_code=201)
def correct_receipt(_: allow("receipt.correct"), receipt: ReceiptForReader, body: ReceiptCorrection, ctx: WriteDep):
    """Correct a receipt with a new one that names it (never an edit): the whole new accepted and rejected
    quantities and the reason. The shipment's total and the school's stock move by the difference; only the
    newest receipt of a chain may be corrected, within the correction window, by the school's staff."""
    return ctx.run(lambda: receipts_public(ctx.session, [corrections.receipt_correct(
        ctx.session, actor=ctx.actor, receipt_id=receipt.id, data=body)])[0])


@router.post("/uses/{use_id}/corrections", response_model=UsePublic, status_code=201)
def correct_use(_: allow("use.correct"), use: UseForSchool, body: UseCorrection, ctx: WriteDep):
    """Correct a kitchen use (出库) with a new one that names it: the new quantity (0: it did not happen) and
    the reason. The school's stock moves by the difference."""
    return ctx.run(lambda: uses_public(ctx.session, [corrections.use_correct(
        ctx.session, actor=ctx.actor, use_id=use.id, data=body)])[0])
