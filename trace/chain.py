"""Hash chains over custody events — pure functions, no database.

Each event's hash is SHA-256 over the previous hash and a canonical JSON
serialization of every field that matters (sorted keys, no spaces, UTF-8).
``verify_chain`` walks one chain and names the first event that was edited,
deleted or reordered; heads held elsewhere (the chain-head table, signed
checkpoints) expose a cut-off tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64

# The fields an event's hash covers, in the order documented in docs/custody.md.
HASHED_FIELDS = (
    "event_id",
    "stream",
    "seq",
    "biz_step",
    "action",
    "disposition",
    "occurred_at",
    "tz_offset",
    "recorded_at",
    "actor_user_id",
    "actor_role",
    "school_id",
    "supplier_id",
    "batch_id",
    "subject_type",
    "subject_id",
    "corrects_event_id",
    "payload",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not serializable in a custody payload: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """The one serialization that is hashed and stored."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _time(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def hashed_view(event: Any) -> dict[str, Any]:
    """The dict of an event's hashed fields, from a row or any object with them."""
    view = {name: getattr(event, name) for name in HASHED_FIELDS}
    view["occurred_at"] = _time(view["occurred_at"])
    view["recorded_at"] = _time(view["recorded_at"])
    return view


def event_hash(view: Mapping[str, Any], prev_hash: str) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(dict(view)).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainTip:
    seq: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with one chain."""

    stream: str
    kind: str  # edited | deleted | reordered | truncated | head_mismatch | missing_head
    seq: int
    event_row_id: int | None
    detail: str
    # For a head kept outside the chain: the tip it recorded and what the chain now has
    # there, so whoever kept it can see how far the chain was cut back or rewritten.
    recorded: ChainTip | None = None
    found: ChainTip | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "kind": self.kind,
            "seq": self.seq,
            "event_row_id": self.event_row_id,
            "detail": self.detail,
            "recorded": self.recorded.as_dict() if self.recorded else None,
            "found": self.found.as_dict() if self.found else None,
        }


@dataclass
class ChainWalk:
    """What walking one chain found: its verified hashes (index = seq - 1) and first problem."""

    hashes: list[str]
    problem: ChainProblem | None = None

    @property
    def tip(self) -> ChainTip:
        return ChainTip(len(self.hashes), self.hashes[-1] if self.hashes else GENESIS_HASH)

    def hash_at(self, seq: int) -> str | None:
        return self.hashes[seq - 1] if 0 < seq <= len(self.hashes) else None


def verify_chain(stream: str, events: Iterable[Any]) -> ChainWalk:
    """Walk one chain in ``seq`` order and stop at the first problem.

    ``events`` yields rows with the hashed fields plus ``id``, ``seq``, ``prev_hash`` and
    ``hash``, ordered by ``seq``.
    """
    events = list(events)
    walk = ChainWalk(hashes=[])
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for index, event in enumerate(events):
        recomputed = event_hash(hashed_view(event), event.prev_hash)
        if recomputed != event.hash:
            walk.problem = ChainProblem(
                stream, "edited", event.seq, event.id,
                "stored content no longer matches its hash",
            )
        elif event.seq != expected_seq:
            walk.problem = ChainProblem(
                stream, "deleted", expected_seq, event.id,
                f"events {expected_seq}..{event.seq - 1} are missing before row {event.id}",
            )
        elif event.prev_hash != prev_hash:
            kind = "reordered" if _links_elsewhere(events, index, prev_hash) else "deleted"
            walk.problem = ChainProblem(
                stream, kind, event.seq, event.id,
                "does not follow the event before it"
                if kind == "reordered"
                else "points at an event that is no longer in the chain",
            )
        if walk.problem:
            return walk
        walk.hashes.append(event.hash)
        prev_hash = event.hash
        expected_seq += 1
    return walk


def _links_elsewhere(events: list[Any], index: int, prev_hash: str) -> bool:
    """Whether a broken link at ``events[index]`` is a change of order rather than a loss.

    It is when the event points at another event still in the chain (before or after
    it), or when a later event points at the one that should have come before it: two
    swapped events, each rehashed where it now stands, leave both traces.
    """
    stored = {other.hash for position, other in enumerate(events) if position != index}
    later_links = {other.prev_hash for other in events[index + 1:]}
    return events[index].prev_hash in stored or prev_hash in later_links


def compare_with_head(stream: str, walk: ChainWalk, head: ChainTip, source: str) -> ChainProblem | None:
    """A head kept outside the chain must name an event on it, with the same hash."""
    tip = walk.tip
    if head.seq > tip.seq:
        return ChainProblem(
            stream, "truncated", tip.seq + 1, None,
            f"{source} records seq {head.seq} but the chain ends at seq {tip.seq}",
            recorded=head, found=tip,
        )
    if walk.hash_at(head.seq) != head.hash:
        return ChainProblem(
            stream, "head_mismatch", head.seq, None,
            f"{source} hash for seq {head.seq} differs from the chain's event",
            recorded=head, found=ChainTip(head.seq, walk.hash_at(head.seq) or GENESIS_HASH),
        )
    return None


def heads_root(heads: Mapping[str, ChainTip]) -> str:
    """One hash over every chain head, sorted by stream name."""
    digest = hashlib.sha256()
    for stream in sorted(heads):
        tip = heads[stream]
        digest.update(f"{stream}\t{tip.seq}\t{tip.hash}\n".encode())
    return digest.hexdigest()
