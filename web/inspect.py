"""The inspectors' workspace: search and trace a batch, verify the hash chains, seal, lift and recall.

It reads across every domain through ``trace.queries`` (backward to the source, forward to every
school: the recall list), so it stands on the top floor. Who may open it is ``trace.policy``'s
"work.inspect" (inspectors and admins); the measures keep their own permissions — sealing and lifting
a seal ("batch.hold") are inspectors', a recall ("batch.recall") inspectors' and admins' — and each
form posts, carries the session's CSRF token, and redirects (PRG).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from canteens.meals import meals_of_batch
from canteens.models import MEAL_LABELS
from inspections import service as inspection_service
from inspections.models import OUTCOME_LABELS, TEST_KIND_LABELS
from inspections.rapid_tests import VERDICT_LABELS
from inspections.schemas import StatusChange
from suppliers import selectors as supplier_selectors
from suppliers.models import BATCH_ACTION_LABELS, BATCH_STATUS_LABELS, LICENCE_KIND_LABELS, BatchStatus
from trace import checkpoints
from trace.batch_reads import BatchForReader
from trace.clock import local_date, local_today
from trace.custody import Actor, events_for_batch
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.i18n import N_
from trace.pages import local_path, page_locale, render_page, see_other
from trace.policy import allow, may
from trace.queries import batches_with_lot, trace_backward, trace_forward

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=600)]
SEARCH_LIMIT = 50

# What each custody step is called on the timeline (EPCIS CBV words, trace.custody).
STEP_LABELS = {
    "commissioning": N_("Batch registered"),
    "shipping": N_("Shipped"),
    "receiving": N_("Received at the school"),
    "accepting": N_("Accepted"),
    "dispensing": N_("Taken into the kitchen"),
    "holding": N_("Sealed or recalled"),
    "inspecting": N_("Inspected"),
    "destroying": N_("Destroyed"),
}

# What went wrong with a chain, in words (trace.chain.ChainProblem.kind).
PROBLEM_LABELS = {
    "edited": N_("An event was edited"),
    "deleted": N_("An event was deleted"),
    "reordered": N_("Events were swapped or reordered"),
    "truncated": N_("The newest events were cut off"),
    "head_mismatch": N_("The chain does not end where its recorded head says"),
    "missing_head": N_("The chain's recorded head is missing"),
}


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


@router.get("/inspect/search")
def search(actor: allow("work.inspect"), request: Request, session: SessionDep,
           q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """A lot code read off a sack, or a supplier's name or credit code: the batches to trace."""
    text = q.strip()
    by_lot, by_supplier = [], []
    if text:
        try:
            by_lot = supplier_selectors.batches_described(
                session, batches_with_lot(session, actor, text, limit=SEARCH_LIMIT))
        except DomainError:
            by_lot = []  # not a lot code a label could carry: only the supplier search answers
        for supplier in supplier_selectors.suppliers_named(session, text):
            by_supplier.append((supplier, supplier_selectors.batches_with_products(session, supplier.id, limit=20)))
    return render_page(request, "inspect/search.html", q=text, by_lot=by_lot, by_supplier=by_supplier,
                       status_labels=BATCH_STATUS_LABELS, today=local_today())


def _batch_page(request: Request, session: SessionDep, actor: Actor, batch_id: int, *, status: int = 200,
                error: str | None = None, done: str = "") -> Response:
    backward = trace_backward(session, actor, batch_id)
    events = [(event, json.loads(event.payload)) for event in backward["events"]]
    forward = trace_forward(session, actor, batch_id)
    schools = {d["school_id"]: d["school_name"] for d in forward["destinations"]}
    return render_page(
        request, "inspect/batch.html", status=status, back=backward, forward=forward,
        meals=meals_of_batch(session, batch_id), meal_labels=MEAL_LABELS,
        events=events, corrected_events={e.corrects_event_id: e.event_id for e, _payload in events if e.corrects_event_id},
        schools=schools, amount=_amount, error=error, done=done, may_hold=may(actor, "batch.hold"), may_recall=may(actor, "batch.recall"),
        may_test=may(actor, "test.laboratory"),
        status_labels=BATCH_STATUS_LABELS, action_labels=BATCH_ACTION_LABELS, licence_labels=LICENCE_KIND_LABELS,
        outcome_labels=OUTCOME_LABELS, verdict_labels=VERDICT_LABELS, test_kind_labels=TEST_KIND_LABELS,
        step_labels=STEP_LABELS,
        local_date=local_date, today=local_today())


def _amount(value: object) -> str:
    """A quantity as an event's payload keeps it (text, thousandths), written without trailing zeros."""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except InvalidOperation:
        return str(value)


@router.get("/inspect/batches/{batch_id}")
def batch(actor: allow("work.inspect"), batch: BatchForReader, request: Request, session: SessionDep,
          done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """One batch traced backward to its source and forward to every school (the recall list)."""
    return _batch_page(request, session, actor, batch.id, done=done if done in BATCH_ACTION_LABELS else "")


def _measure(action: str, actor: Actor, batch_id: int, request: Request, session: SessionDep, reason: str,
             next_page: str) -> Response:
    try:
        try:
            change = StatusChange(reason=reason.strip())
        except ValidationError as invalid:
            raise Invalid("reason_required", "请填写原因（至少 2 个字）", "Give the reason (at least 2 characters)") \
                from invalid
        with write_transaction(session):
            inspection_service.batch_change_status(session, actor=actor, batch_id=batch_id, action=action,
                                                   reason=change.reason)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _batch_page(request, session, actor, batch_id, status=refused.status, error=_message(request, refused))
    return see_other(local_path(next_page, f"/inspect/batches/{batch_id}") + f"?done={action}")


@router.post("/inspect/batches/{batch_id}/hold")
def hold(actor: allow("batch.hold"), batch: BatchForReader, request: Request, session: SessionDep,
         reason: FormText = "", next: FormText = "") -> Response:
    """封存: seal a batch (inspectors)."""
    return _measure("hold", actor, batch.id, request, session, reason, next)


@router.post("/inspect/batches/{batch_id}/release")
def release(actor: allow("batch.hold"), batch: BatchForReader, request: Request, session: SessionDep,
            reason: FormText = "", next: FormText = "") -> Response:
    """解除封存: lift the seal (inspectors)."""
    return _measure("release", actor, batch.id, request, session, reason, next)


@router.post("/inspect/batches/{batch_id}/recall")
def recall(actor: allow("batch.recall"), batch: BatchForReader, request: Request, session: SessionDep,
           reason: FormText = "", next: FormText = "") -> Response:
    """召回: recall a batch (inspectors and admins)."""
    return _measure("recall", actor, batch.id, request, session, reason, next)


def _latest_measure(session: SessionDep, batch_id: int) -> dict | None:
    """When, why and by which role the batch's present measure was taken (its newest status event)."""
    for event in reversed(events_for_batch(session, batch_id)):
        if event.subject_type == "batch" and event.biz_step in ("holding", "inspecting"):
            return {"on": local_date(event.occurred_at), "reason": json.loads(event.payload).get("reason", ""),
                    "role": event.actor_role}
    return None


@router.get("/inspect/holds")
def holds(actor: allow("work.inspect"), request: Request, session: SessionDep,
          done: Annotated[str, Query(max_length=20)] = "") -> Response:
    """Batches under a measure: sealed ones first, then recalled."""
    found = supplier_selectors.batches_in_status(session, [BatchStatus.on_hold, BatchStatus.recalled])
    found.sort(key=lambda row: row.batch.status != BatchStatus.on_hold)
    return render_page(request, "inspect/holds.html", rows=found,
                       measures={row.batch.id: _latest_measure(session, row.batch.id) for row in found}, done=done if done in BATCH_ACTION_LABELS else "",
                       may_hold=may(actor, "batch.hold"), may_recall=may(actor, "batch.recall"),
                       status_labels=BATCH_STATUS_LABELS, action_labels=BATCH_ACTION_LABELS)


def _latest_checkpoint(session: SessionDep) -> dict | None:
    latest = checkpoints.checkpoint_latest(session)
    if latest is None:
        return None
    return {"checkpoint": latest, "body": json.loads(latest.body)}


@router.get("/inspect/chains")
def chains(_: allow("work.inspect"), request: Request, session: SessionDep) -> Response:
    """The button that verifies every hash chain, and the latest signed checkpoint."""
    return render_page(request, "inspect/chains.html", report=None, latest=_latest_checkpoint(session),
                       problem_labels=PROBLEM_LABELS)


@router.post("/inspect/chains")
def chains_verify(_: allow("chain.verify"), request: Request, session: SessionDep) -> Response:
    """Recompute every chain now and show the answer (a read: nothing is stored, so no redirect)."""
    report = checkpoints.verify_log(session)
    return render_page(request, "inspect/chains.html", report=report, latest=_latest_checkpoint(session),
                       problem_labels=PROBLEM_LABELS)
