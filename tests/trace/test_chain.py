"""Hash chains, as pure functions: what verify_chain says about a chain and its heads."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from trace.chain import (
    GENESIS_HASH,
    ChainTip,
    canonical_json,
    compare_with_head,
    event_hash,
    hashed_view,
    verify_chain,
)


@dataclass(frozen=True)
class FakeEvent:
    id: int
    event_id: str
    stream: str
    seq: int
    biz_step: str
    action: str
    disposition: str | None
    occurred_at: datetime
    tz_offset: str
    recorded_at: datetime
    actor_user_id: int | None
    actor_role: str
    school_id: int | None
    supplier_id: int | None
    batch_id: int | None
    subject_type: str
    subject_id: str
    corrects_event_id: str | None
    payload: str
    prev_hash: str
    hash: str


def make_chain(n: int, stream: str = "batch:1") -> list[FakeEvent]:
    events, prev = [], GENESIS_HASH
    at = datetime(2025, 9, 1, 0, 0, tzinfo=UTC)
    for seq in range(1, n + 1):
        event = FakeEvent(seq, f"e{seq}", stream, seq, "receiving", "OBSERVE", None, at, "+08:00", at, 1,
                          "canteen_staff", 1, 2, 3, "shipment", str(seq), None,
                          canonical_json({"quantity": f"{seq}.000"}), prev, "")
        event = replace(event, hash=event_hash(hashed_view(event), prev))
        events.append(event)
        prev = event.hash
    return events


def test_an_untouched_chain_verifies():
    walk = verify_chain("batch:1", make_chain(5))
    assert walk.problem is None
    assert walk.tip.seq == 5


def test_canonical_json_is_sorted_compact_and_keeps_chinese():
    assert canonical_json({"b": 1, "a": "大米"}) == '{"a":"大米","b":1}'


def test_an_edited_payload_is_named():
    events = make_chain(5)
    events[2] = replace(events[2], payload=canonical_json({"quantity": "999.000"}))
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq, walk.problem.event_row_id) == ("edited", 3, 3)


def test_a_deleted_middle_event_is_named():
    events = make_chain(5)
    del events[1]
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq) == ("deleted", 2)


def test_an_edited_and_rehashed_event_breaks_the_link_to_the_next():
    events = make_chain(4)
    forged = replace(events[1], payload=canonical_json({"quantity": "0.000"}))
    events[1] = replace(forged, hash=event_hash(hashed_view(forged), forged.prev_hash))
    walk = verify_chain("batch:1", events)
    assert walk.problem.seq == 3
    assert walk.problem.kind == "deleted"


def test_swapped_events_are_reported_as_reordered():
    events = make_chain(4)
    # Move event 3's content to seq 2 and event 2's to seq 3, each rehashed on its own: the
    # links then point backwards in the chain.
    a, b = events[1], events[2]
    new_a = replace(b, seq=2, id=2)
    new_a = replace(new_a, hash=event_hash(hashed_view(new_a), new_a.prev_hash))
    events[1] = new_a
    walk = verify_chain("batch:1", events[:2] + [a] + events[3:])
    assert walk.problem is not None
    assert walk.problem.seq == 2


def test_a_cut_off_tail_is_caught_by_a_head_kept_elsewhere():
    events = make_chain(5)
    walk = verify_chain("batch:1", events[:3])
    problem = compare_with_head("batch:1", walk, ChainTip(5, events[4].hash), "checkpoint")
    assert (problem.kind, problem.seq) == ("truncated", 4)


def test_an_older_head_must_match_the_event_it_names():
    events = make_chain(5)
    walk = verify_chain("batch:1", events)
    assert compare_with_head("batch:1", walk, ChainTip(3, events[2].hash), "checkpoint") is None
    assert compare_with_head("batch:1", walk, ChainTip(3, "f" * 64), "checkpoint").kind == "head_mismatch"
