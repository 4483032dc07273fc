"""Hash chains, as pure functions: what verify_chain says about a chain and its heads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum

import pytest

from trace.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainTip,
    canonical_json,
    compare_with_head,
    event_hash,
    hashed_view,
    heads_root,
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
    assert walk.problem.as_dict() == {"stream": "batch:1", "kind": "deleted", "seq": 2, "event_row_id": 3,
                                      "detail": "events 2..2 are missing before row 3",
                                      "recorded": None, "found": None}


def test_an_edited_and_rehashed_event_breaks_the_link_to_the_next():
    events = make_chain(4)
    forged = replace(events[1], payload=canonical_json({"quantity": "0.000"}))
    events[1] = replace(forged, hash=event_hash(hashed_view(forged), forged.prev_hash))
    walk = verify_chain("batch:1", events)
    assert walk.problem.as_dict() == {"stream": "batch:1", "kind": "deleted", "seq": 3, "event_row_id": 3,
                                      "detail": "points at an event that is no longer in the chain",
                                      "recorded": None, "found": None}


def rehashed(event: FakeEvent, **changes) -> FakeEvent:
    """The event with ``changes``, hashed again over its (possibly changed) link."""
    event = replace(event, **changes)
    return replace(event, hash=event_hash(hashed_view(event), event.prev_hash))


def test_swapped_events_are_reported_as_reordered():
    events = make_chain(4)
    # Events 2 and 3 change places, each renumbered and rehashed where it now stands,
    # keeping the link it had: the links then cross instead of following one another.
    second, third = events[1], events[2]
    swapped = [events[0], rehashed(third, seq=2, id=2), rehashed(second, seq=3, id=3), events[3]]
    walk = verify_chain("batch:1", swapped)
    assert walk.problem.as_dict() == {"stream": "batch:1", "kind": "reordered", "seq": 2, "event_row_id": 2,
                                      "detail": "does not follow the event before it",
                                      "recorded": None, "found": None}


def test_an_event_that_links_to_an_earlier_event_than_its_predecessor_is_reordered():
    events = make_chain(4)
    events[2] = rehashed(events[2], prev_hash=events[0].hash)
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq) == ("reordered", 3)


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


def test_a_forged_first_event_must_link_to_the_genesis_hash():
    events = make_chain(3)
    events[0] = rehashed(events[0], prev_hash="1" * 64)
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq, walk.hashes) == ("deleted", 1, [])


def test_a_walk_records_every_verified_hash_and_its_tip():
    events = make_chain(3)
    walk = verify_chain("batch:1", events)
    assert walk.hashes == [e.hash for e in events]
    assert walk.tip == ChainTip(3, events[2].hash)
    assert (walk.hash_at(0), walk.hash_at(1), walk.hash_at(3), walk.hash_at(4)) == (
        None, events[0].hash, events[2].hash, None)


def test_an_empty_chain_has_the_genesis_tip():
    assert verify_chain("batch:1", []).tip == ChainTip(0, GENESIS_HASH)


def test_a_walk_stops_at_the_first_problem_and_keeps_what_it_verified():
    events = make_chain(5)
    events[3] = replace(events[3], payload=canonical_json({"quantity": "0.000"}))
    walk = verify_chain("batch:1", events)
    assert walk.hashes == [e.hash for e in events[:3]]
    assert walk.problem.as_dict() == {"stream": "batch:1", "kind": "edited", "seq": 4, "event_row_id": 4,
                                      "detail": "stored content no longer matches its hash",
                                      "recorded": None, "found": None}


# --- the tamper matrix: every hashed field, and the link, edited alone ----------------------------

# Written out rather than read from HASHED_FIELDS, so that a field dropped from the hash
# is missed here too and the test below fails.
TAMPERED = {
    "event_id": "e2-forged",
    "stream": "batch:2",
    "seq": 3,
    "biz_step": "shipping",
    "action": "ADD",
    "disposition": "conformant",
    "occurred_at": datetime(2025, 9, 1, 0, 0, 0, 1, tzinfo=UTC),
    "tz_offset": "+09:00",
    "recorded_at": datetime(2025, 9, 1, 0, 0, 0, 1, tzinfo=UTC),
    "actor_user_id": 2,
    "actor_role": "supplier",
    "school_id": 9,
    "supplier_id": 9,
    "batch_id": 9,
    "subject_type": "stock",
    "subject_id": "20",
    "corrects_event_id": "e1",
    "payload": canonical_json({"quantity": "2.001"}),
}


def test_the_tamper_matrix_covers_every_hashed_field():
    assert list(TAMPERED) == list(HASHED_FIELDS)


@pytest.mark.parametrize("field", list(TAMPERED))
def test_editing_any_hashed_field_alone_is_named_as_edited(field):
    events = make_chain(4)
    assert getattr(events[1], field) != TAMPERED[field]
    events[1] = replace(events[1], **{field: TAMPERED[field]})
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq, walk.problem.event_row_id) == ("edited", events[1].seq, 2)


def test_editing_the_link_alone_is_named_as_edited():
    events = make_chain(4)
    events[1] = replace(events[1], prev_hash=events[0].prev_hash)
    walk = verify_chain("batch:1", events)
    assert (walk.problem.kind, walk.problem.seq, walk.problem.event_row_id) == ("edited", 2, 2)


def rewritten_from(events: list[FakeEvent], index: int, **changes) -> list[FakeEvent]:
    """A forger's history: one event changed, it and every later event rehashed and relinked."""
    forged, prev = list(events[:index]), events[index].prev_hash
    for position, event in enumerate(events[index:]):
        event = replace(event, prev_hash=prev, **(changes if position == 0 else {}))
        event = replace(event, hash=event_hash(hashed_view(event), prev))
        forged.append(event)
        prev = event.hash
    return forged


@pytest.mark.parametrize("field", ["payload", "occurred_at", "recorded_at"])
def test_a_rewritten_and_relinked_history_passes_the_walk_but_not_a_head_kept_elsewhere(field):
    events = make_chain(5)
    forged = rewritten_from(events, 1, **{field: TAMPERED[field]})
    walk = verify_chain("batch:1", forged)
    assert walk.problem is None  # internally consistent: only an outside head can tell
    problem = compare_with_head("batch:1", walk, ChainTip(5, events[4].hash), "checkpoint")
    assert (problem.kind, problem.seq) == ("head_mismatch", 5)
    assert problem.detail == "checkpoint hash for seq 5 differs from the chain's event"


def test_every_hash_after_a_rewritten_event_changes():
    events = make_chain(4)
    forged = rewritten_from(events, 1, payload=canonical_json({"quantity": "0.500"}))
    assert [f.hash == e.hash for f, e in zip(forged, events, strict=True)] == [True, False, False, False]


def test_the_same_event_on_another_link_has_another_hash():
    event = make_chain(1)[0]
    assert event_hash(hashed_view(event), GENESIS_HASH) != event_hash(hashed_view(event), "1" * 64)


def test_a_head_at_the_tip_with_the_tip_hash_matches():
    events = make_chain(3)
    walk = verify_chain("batch:1", events)
    assert compare_with_head("batch:1", walk, ChainTip(3, events[2].hash), "chain_head table") is None


def test_a_head_one_past_the_tip_is_a_truncation_named_by_its_source():
    events = make_chain(3)
    walk = verify_chain("batch:1", events)
    problem = compare_with_head("batch:1", walk, ChainTip(4, "f" * 64), "chain_head table")
    assert problem.as_dict() == {"stream": "batch:1", "kind": "truncated", "seq": 4, "event_row_id": None,
                                 "detail": "chain_head table records seq 4 but the chain ends at seq 3",
                                 "recorded": {"seq": 4, "hash": "f" * 64}, "found": {"seq": 3, "hash": events[-1].hash}}


# --- the format, pinned: changing it would orphan every stored chain -----------------------------

FIXED_EVENT = FakeEvent(
    id=99, event_id="6f1c2a9e-0b1d-4c1e-9a57-3c2f0d7e8a41", stream="batch:42", seq=7, biz_step="receiving",
    action="OBSERVE", disposition="partially_conformant",
    occurred_at=datetime(2025, 9, 1, 1, 30, 0, 250000, tzinfo=UTC), tz_offset="+08:00",
    recorded_at=datetime(2025, 9, 1, 1, 30, 5, tzinfo=UTC), actor_user_id=11, actor_role="canteen_staff",
    school_id=3, supplier_id=5, batch_id=42, subject_type="shipment", subject_id="17", corrects_event_id=None,
    payload=canonical_json({"accepted_quantity": Decimal("380.000"), "rejected_quantity": Decimal("20.000"),
                            "unit": "kg", "rejection_reason": "破损", "receipt_date": date(2025, 9, 1)}),
    prev_hash="ab" * 32, hash="",
)
FIXED_EVENT_TEXT = (
    '{"action":"OBSERVE","actor_role":"canteen_staff","actor_user_id":11,"batch_id":42,"biz_step":"receiving",'
    '"corrects_event_id":null,"disposition":"partially_conformant",'
    '"event_id":"6f1c2a9e-0b1d-4c1e-9a57-3c2f0d7e8a41","occurred_at":"2025-09-01T01:30:00.250000+00:00",'
    '"payload":"{\\"accepted_quantity\\":\\"380.000\\",\\"receipt_date\\":\\"2025-09-01\\",'
    '\\"rejected_quantity\\":\\"20.000\\",\\"rejection_reason\\":\\"破损\\",\\"unit\\":\\"kg\\"}",'
    '"recorded_at":"2025-09-01T01:30:05.000000+00:00","school_id":3,"seq":7,"stream":"batch:42",'
    '"subject_id":"17","subject_type":"shipment","supplier_id":5,"tz_offset":"+08:00"}'
)


def test_the_hashed_text_of_a_fixed_event_is_pinned():
    assert canonical_json(hashed_view(FIXED_EVENT)) == FIXED_EVENT_TEXT


def test_the_hash_of_a_fixed_event_is_pinned():
    # SHA-256 over the previous hash, a newline and the canonical text, as documented.
    expected = "e6e2e3dfbf6860e92ce0d4c8eef70ce2179c96d84f39514124d33633c0d7cdb0"
    assert hashlib.sha256(("ab" * 32 + "\n" + FIXED_EVENT_TEXT).encode()).hexdigest() == expected
    assert event_hash(hashed_view(FIXED_EVENT), FIXED_EVENT.prev_hash) == expected


def test_times_are_hashed_in_microseconds_whatever_their_precision():
    view = hashed_view(replace(FIXED_EVENT, occurred_at=datetime(2025, 9, 1, tzinfo=UTC)))
    assert view["occurred_at"] == "2025-09-01T00:00:00.000000+00:00"


# --- payloads: every value serialized, or refused -----------------------------------------------

class Meal(Enum):
    lunch = "lunch"


def test_payload_dates_times_decimals_and_enums_are_written_as_text():
    payload = {"day": date(2025, 9, 1), "at": datetime(2025, 9, 1, 8, 30, tzinfo=UTC),
               "kg": Decimal("12.500"), "meal": Meal.lunch}
    assert canonical_json(payload) == (
        '{"at":"2025-09-01T08:30:00+00:00","day":"2025-09-01","kg":"12.500","meal":"lunch"}')


@pytest.mark.parametrize("value,name", [(object(), "object"), ({1, 2}, "set"), (b"x", "bytes"),
                                        (timedelta(days=1), "timedelta")])
def test_a_payload_value_with_no_text_form_is_refused_not_written_as_null(value, name):
    with pytest.raises(TypeError, match=f"^not serializable in a custody payload: {name}$"):
        canonical_json({"value": value})


def test_canonical_json_keeps_non_ascii_and_nests_sorted():
    assert canonical_json({"z": [{"b": "鸡蛋", "a": None}], "a": 1.5}) == '{"a":1.5,"z":[{"a":null,"b":"鸡蛋"}]}'


# --- the root over every head -------------------------------------------------------------------

def test_the_root_of_no_heads_is_the_hash_of_nothing():
    assert heads_root({}) == hashlib.sha256(b"").hexdigest()


def test_the_root_of_fixed_heads_is_pinned():
    heads = {"school:2": ChainTip(1, "b" * 64), "batch:1": ChainTip(3, "a" * 64)}
    text = f"batch:1\t3\t{'a' * 64}\nschool:2\t1\t{'b' * 64}\n"
    assert heads_root(heads) == hashlib.sha256(text.encode()).hexdigest()
    assert heads_root(heads) == "6a9aaf90264b92e0ecd515c5c178dbdf05e7ce4f45ea26169b3a15c5553be87a"


@pytest.mark.parametrize("changed", [
    {"batch:1": ChainTip(4, "a" * 64)},
    {"batch:1": ChainTip(3, "c" * 64)},
    {"batch:9": ChainTip(3, "a" * 64)},
])
def test_the_root_changes_with_any_stream_seq_or_hash(changed):
    heads = {"batch:1": ChainTip(3, "a" * 64), "school:2": ChainTip(1, "b" * 64)}
    moved = {**{s: t for s, t in heads.items() if s not in changed and s != "batch:1"}, **changed}
    assert heads_root(moved) != heads_root(heads)
