"""Signed checkpoints over every chain head, and verification of the whole log.

A checkpoint is to our chains what a signed tree head is to a Certificate
Transparency log: an Ed25519-signed statement of every chain's (seq, hash) at
one moment, itself chained to the checkpoint before it. An inspector who keeps a
copy of the latest checkpoint (``GET /api/v1/checkpoints/latest``) can later
prove that no event it covers was edited, deleted or cut off the end of a chain,
even by someone with write access to every table.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlmodel import Session

from trace.chain import (
    GENESIS_HASH,
    ChainProblem,
    ChainTip,
    ChainWalk,
    canonical_json,
    compare_with_head,
    heads_root,
    verify_chain,
)
from trace.db import utcnow
from trace.models import ChainHead, Checkpoint, CheckpointedHead, CustodyEvent
from trace.settings import get_settings

# --- keys -----------------------------------------------------------------------------------


def load_or_create_signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    settings = get_settings()
    path = path or settings.checkpoint_key
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{path} is not an Ed25519 private key")
        return key
    if settings.production:
        # A fresh key would sign checkpoints no inspector's copy of the old public key verifies.
        raise RuntimeError(f"the checkpoint signing key {path} is missing; production never creates one")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Create with owner-only permissions from the start, never world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# --- making checkpoints ---------------------------------------------------------------------


def checkpoint_create(session: Session, *, key: Ed25519PrivateKey | None = None) -> Checkpoint:
    """Sign the current head of every chain. Reads heads; writes only checkpoint tables."""
    key = key or load_or_create_signing_key()
    previous = checkpoint_latest(session)
    # Lock the latest checkpoint row so two schedulers cannot mint the same number.
    if previous is not None:
        session.execute(select(Checkpoint.id).where(Checkpoint.id == previous.id).with_for_update())
    known = {row.stream: ChainTip(row.seq, row.hash) for row in session.execute(select(CheckpointedHead)).scalars()}
    current = {row.stream: ChainTip(row.seq, row.hash) for row in session.execute(select(ChainHead)).scalars()}
    changed = {s: tip for s, tip in current.items() if known.get(s) != tip}
    merged = {**known, **changed}
    number = (previous.number if previous else 0) + 1
    created_at = utcnow()
    body = {
        "version": 1,
        "number": number,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "previous_body_hash": previous.body_hash if previous else None,
        "stream_count": len(merged),
        "root": heads_root(merged),
        "changed": {s: [t.seq, t.hash] for s, t in sorted(changed.items())},
    }
    body_text = canonical_json(body)
    signature = key.sign(body_text.encode())
    checkpoint = Checkpoint(
        number=number,
        created_at=created_at,
        body=body_text,
        body_hash=hashlib.sha256(body_text.encode()).hexdigest(),
        signature=base64.b64encode(signature).decode(),
        key_id=key_id(key.public_key()),
    )
    session.add(checkpoint)
    for stream, tip in changed.items():
        row = session.get(CheckpointedHead, stream)
        if row is None:
            session.add(CheckpointedHead(stream=stream, seq=tip.seq, hash=tip.hash, checkpoint_number=number))
        else:
            row.seq, row.hash, row.checkpoint_number = tip.seq, tip.hash, number
    session.flush()
    return checkpoint


def checkpoint_latest(session: Session) -> Checkpoint | None:
    return session.execute(select(Checkpoint).order_by(Checkpoint.number.desc()).limit(1)).scalar_one_or_none()


def checkpoint_document(checkpoint: Checkpoint, public_pem: str) -> dict[str, Any]:
    """What an inspector keeps: the signed body, its signature and the public key."""
    return {
        "body": json.loads(checkpoint.body),
        "body_text": checkpoint.body,
        "signature": checkpoint.signature,
        "key_id": checkpoint.key_id,
        "public_key_pem": public_pem,
    }


# --- verification ---------------------------------------------------------------------------

HELD = "held checkpoint"


@dataclass
class VerificationReport:
    chains_checked: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "chains_checked": self.chains_checked,
            "events_checked": self.events_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": [p.as_dict() for p in self.problems],
            "first_problem": self.problems[0].as_dict() if self.problems else None,
        }


def _walk_all_chains(session: Session) -> Iterator[tuple[str, ChainWalk, int]]:
    statement = select(CustodyEvent).order_by(CustodyEvent.stream, CustodyEvent.seq)
    rows = session.execute(statement.execution_options(yield_per=2000)).scalars()
    current: str | None = None
    batch: list[CustodyEvent] = []
    for row in rows:
        if row.stream != current and current is not None:
            yield current, verify_chain(current, batch), len(batch)
            batch = []
        current = row.stream
        batch.append(row)
    if current is not None:
        yield current, verify_chain(current, batch), len(batch)


def _checked_checkpoint_heads(
    session: Session, public: Ed25519PublicKey, report: VerificationReport
) -> dict[str, ChainTip]:
    """Replay every stored checkpoint: signatures, links between them, and roots."""
    heads: dict[str, ChainTip] = {}
    previous_hash: str | None = None
    for checkpoint in session.execute(select(Checkpoint).order_by(Checkpoint.number)).scalars():
        body = _verified_body(checkpoint.body, checkpoint.signature, public, report, checkpoint.number)
        if body is None:
            break
        if body["previous_body_hash"] != previous_hash:
            report.problems.append(ChainProblem(
                "checkpoint", "deleted", checkpoint.number, None,
                "a checkpoint before this one is missing or was replaced",
            ))
            break
        heads.update({s: ChainTip(seq, h) for s, (seq, h) in body["changed"].items()})
        if heads_root(heads) != body["root"]:
            report.problems.append(ChainProblem(
                "checkpoint", "edited", checkpoint.number, None, "root does not match the heads it lists"
            ))
            break
        previous_hash = checkpoint.body_hash
        report.checkpoints_checked += 1
    return heads


def _verified_body(
    body_text: str, signature: str, public: Ed25519PublicKey, report: VerificationReport, number: int
) -> dict[str, Any] | None:
    try:
        public.verify(base64.b64decode(signature), body_text.encode())
    except (InvalidSignature, ValueError):
        report.problems.append(ChainProblem(
            "checkpoint", "edited", number, None, "signature does not verify with the platform key"
        ))
        return None
    return json.loads(body_text)


def verify_log(
    session: Session,
    *,
    public_key: Ed25519PublicKey | None = None,
    held_checkpoint: dict[str, Any] | None = None,
) -> VerificationReport:
    """Recompute every chain and hold it against the chain-head table, every stored
    checkpoint, and optionally a checkpoint document an inspector kept elsewhere."""
    report = VerificationReport()
    # Verification must read what is stored, never objects cached in this session.
    session.expire_all()
    public = public_key or load_or_create_signing_key().public_key()
    anchored = _checked_checkpoint_heads(session, public, report)
    held = _held_heads(held_checkpoint, public, report, session) if held_checkpoint else {}
    table_heads = {r.stream: ChainTip(r.seq, r.hash) for r in session.execute(select(ChainHead)).scalars()}

    inside = (("chain_head table", table_heads), ("checkpoint", anchored))
    walked: set[str] = set()
    for stream, walk, count in _walk_all_chains(session):
        walked.add(stream)
        report.chains_checked += 1
        report.events_checked += count
        if walk.problem:
            report.problems.append(walk.problem)
            continue
        for source, heads in inside:
            if stream in heads and (problem := compare_with_head(stream, walk, heads[stream], source)):
                report.problems.append(problem)
                break
        # The inspector's copy is held against every chain on its own, even one already named
        # above: whoever kept it must learn what it recorded and how far the chain now falls short.
        if stream in held and (problem := compare_with_head(stream, walk, held[stream], HELD)):
            report.problems.append(problem)
    # Chains whose every event was deleted still have anchored heads.
    with_events = set(walked)
    for source, heads in inside:
        for stream in sorted(set(heads) - walked):
            if heads[stream].seq > 0:
                walked.add(stream)
                report.problems.append(_vanished(stream, heads[stream], source))
    for stream in sorted(set(held) - with_events):
        if held[stream].seq > 0:
            report.problems.append(_vanished(stream, held[stream], HELD))
    return report


def _vanished(stream: str, head: ChainTip, source: str) -> ChainProblem:
    return ChainProblem(stream, "truncated", 1, None, f"{source} records seq {head.seq} but no events remain",
                        recorded=head, found=ChainTip(0, GENESIS_HASH))


def _held_heads(
    document: dict[str, Any], public: Ed25519PublicKey, report: VerificationReport, session: Session
) -> dict[str, ChainTip]:
    """The heads as of a checkpoint an inspector kept.

    The kept body lists the chains that changed since the checkpoint before it, and a signed
    root over every head. The other heads come from the platform's earlier checkpoints, and
    are trusted only if together they hash to that root. When the platform has lost or
    replaced its checkpoints, the chains the kept body lists are still held against the log:
    losing the checkpoints must not hide which chains were cut back.
    """
    body_text = document["body_text"]
    body = _verified_body(body_text, document["signature"], public, report, -1)
    if body is None:
        return {}
    number = body["number"]
    stored = session.execute(select(Checkpoint).where(Checkpoint.number == number)).scalar_one_or_none()
    if stored is None or stored.body != body_text:
        report.problems.append(ChainProblem(
            "checkpoint", "truncated" if stored is None else "edited", number, None,
            "the platform no longer holds the checkpoint the inspector kept",
        ))
    listed = {s: ChainTip(seq, h) for s, (seq, h) in body["changed"].items()}
    earlier: dict[str, ChainTip] = {}
    rows = session.execute(select(Checkpoint).where(Checkpoint.number < number).order_by(Checkpoint.number))
    for checkpoint in rows.scalars():
        try:
            public.verify(base64.b64decode(checkpoint.signature), checkpoint.body.encode())
        except (InvalidSignature, ValueError):
            continue  # not the platform's; the root check below then fails
        earlier.update({s: ChainTip(seq, h) for s, (seq, h) in json.loads(checkpoint.body)["changed"].items()})
    complete = {**earlier, **listed}
    if heads_root(complete) == body["root"]:
        return complete
    report.problems.append(ChainProblem(
        "checkpoint", "deleted", number, None,
        f"the platform's checkpoints before {number} no longer rebuild the root of the checkpoint the inspector "
        f"kept: only the {len(listed)} chains it lists could be held against it",
    ))
    return listed
