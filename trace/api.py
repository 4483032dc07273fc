"""Routes of the custody core: who am I, accounts and tokens, events, chain
verification, checkpoints, and trace queries in both directions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from canteens.deps import ReceiptForReader
from trace import accounts, checkpoints, queries
from trace.custody import events_after
from trace.deps import SessionDep, WriteDep
from trace.errors import NotFound
from trace.fields import Offset, PathId
from trace.models import User
from trace.policy import allow, public
from trace.query_schemas import BackwardTrace, ForwardTrace
from trace.schemas import (
    CheckpointPublic,
    EventPublic,
    HeldCheckpoint,
    Me,
    TokenCreate,
    TokenIssued,
    UserCreate,
    UserPublic,
    VerificationPublic,
)

router = APIRouter(tags=["custody 追溯核心"])


@router.get("/me", response_model=Me)
def me(actor: allow("me.read")):
    """The authenticated account and what it is bound to."""
    return Me(user_id=actor.user_id, role=actor.role, supplier_id=actor.supplier_id, school_id=actor.school_id,
              name=actor.name)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(_: allow("user.create"), body: UserCreate, ctx: WriteDep):
    """Create an account bound to a supplier or a school as its role requires."""
    return ctx.run(lambda: UserPublic.model_validate(accounts.user_create(ctx.session, actor=ctx.actor, **body.model_dump())))


@router.post("/users/{user_id}/tokens", response_model=TokenIssued, status_code=201)
def issue_token(_: allow("token.issue"), user_id: PathId, body: TokenCreate, ctx: WriteDep):
    """Issue an API token for a user; the token is shown only in this response."""
    def write():
        user = ctx.session.get(User, user_id)
        if user is None:
            raise NotFound("user_not_found", f"用户 {user_id} 不存在", f"User {user_id} not found")
        return TokenIssued(token=accounts.token_create(ctx.session, user=user, name=body.name, actor=ctx.actor),
                           user=UserPublic.model_validate(user))
    return ctx.run(write)


@router.get("/events", response_model=list[EventPublic])
def list_events(_: allow("event.list"), session: SessionDep, stream: str | None = None,
                after_id: Offset = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    """Custody events, oldest first: one chain (``stream=batch:42``) or all, paged by ``after_id``."""
    return events_after(session, after_id=after_id, limit=limit, stream=stream)


@router.get("/batches/{batch_id}/trace/backward", response_model=BackwardTrace)
def batch_backward(actor: allow("trace.backward"), batch_id: PathId, session: SessionDep):
    """Backward trace: supplier and licences, order, certificates, shipments, receipts, tests, events."""
    return queries.trace_backward(session, actor, batch_id)


@router.get("/receipts/{receipt_id}/trace/backward", response_model=BackwardTrace)
def receipt_backward(actor: allow("trace.backward"), receipt: ReceiptForReader, session: SessionDep):
    """Backward trace starting from a receipt at a canteen."""
    return queries.trace_backward_from_receipt(session, actor, receipt)


@router.get("/batches/{batch_id}/trace/forward", response_model=ForwardTrace)
def batch_forward(actor: allow("trace.forward"), batch_id: PathId, session: SessionDep):
    """Forward trace (the recall list): every canteen sent the batch, with received, rejected, used, on hand and totals."""
    return queries.trace_forward(session, actor, batch_id)


@router.get("/chains/verify", response_model=VerificationPublic)
def verify_chains(_: allow("chain.verify"), session: SessionDep):
    """Recompute every hash chain and check it against chain heads and signed checkpoints."""
    return checkpoints.verify_log(session).as_dict()


@router.post("/chains/verify", response_model=VerificationPublic, status_code=200)
def verify_against_held(_: allow("chain.verify"), body: HeldCheckpoint, session: SessionDep):
    """Verify, also against a checkpoint document the inspector kept from earlier."""
    return checkpoints.verify_log(session, held_checkpoint=body.model_dump()).as_dict()


@router.post("/checkpoints", response_model=CheckpointPublic, status_code=201)
def create_checkpoint(_: allow("checkpoint.create"), ctx: WriteDep):
    """Sign the current head of every chain now (the scheduler also does this periodically)."""
    key = checkpoints.load_or_create_signing_key()
    return ctx.run(lambda: checkpoints.checkpoint_document(
        checkpoints.checkpoint_create(ctx.session, key=key), checkpoints.public_key_pem(key)))


@router.get("/checkpoints/latest", response_model=CheckpointPublic)
def latest_checkpoint(_: allow("checkpoint.read"), session: SessionDep):
    """The newest signed checkpoint, to keep outside the platform."""
    checkpoint = checkpoints.checkpoint_latest(session)
    if checkpoint is None:
        raise NotFound("no_checkpoint", "尚无检查点", "No checkpoint has been made yet")
    return checkpoints.checkpoint_document(checkpoint, checkpoints.public_key_pem(checkpoints.load_or_create_signing_key()))


@router.get("/checkpoints/public-key", response_class=PlainTextResponse,
            dependencies=[public("anyone verifies a checkpoint kept outside the platform")])
def checkpoint_public_key():
    """The Ed25519 public key (PEM) that verifies checkpoint signatures."""
    return checkpoints.public_key_pem(checkpoints.load_or_create_signing_key())


