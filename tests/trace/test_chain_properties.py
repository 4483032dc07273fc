"""Any single edit, deletion or swap of a custody event is caught, and its chain named
(property-based, hypothesis).

First on chains in memory (pure functions, many examples), then on a real log: an insider
with SQL access edits one event's payload, timestamp or actor, deletes it, or swaps it with
its neighbour, and ``verify_log`` must report the chain it happened in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlmodel import Session

from tests.factories import make_world
from tests.trace.test_chain import FakeEvent, make_chain, rehashed
from trace.chain import HASHED_FIELDS, ChainTip, canonical_json, compare_with_head, verify_chain
from trace.checkpoints import checkpoint_create, verify_log
from trace.models import CustodyEvent

# --- tampering, as values ---------------------------------------------------------------------

shifts = st.one_of(st.integers(min_value=1, max_value=999_999).map(lambda n: timedelta(microseconds=n)),
                   st.integers(min_value=1, max_value=90 * 86400).map(lambda n: timedelta(seconds=-n)))


def changed(value: Any, shift: timedelta, text: str) -> Any:
    """A different value of the same kind: what an insider would write over ``value``."""
    if hasattr(value, "isoformat"):
        return value + shift
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + max(1, shift.seconds)
    if value is None:
        return text
    return value + text if isinstance(value, str) else text


def edited_payload(payload: str, pick: int, shift: timedelta, text: str) -> str:
    document = json.loads(payload)
    if not document:
        return canonical_json({"note": text})
    key = sorted(document)[pick % len(document)]
    return canonical_json({**document, key: changed(document[key], shift, text)})


texts = st.text(alphabet="0123456789改大米", min_size=1, max_size=3)


# --- pure: verify_chain and a head kept outside the chain -------------------------------------


def _caught(stream: str, events: list[FakeEvent], head: ChainTip):  # type: ignore[no-untyped-def]
    walk = verify_chain(stream, events)
    return walk.problem or compare_with_head(stream, walk, head, "chain_head table")


@settings(max_examples=300, deadline=None)
@given(length=st.integers(min_value=1, max_value=12), pick=st.integers(min_value=0), field=st.sampled_from(HASHED_FIELDS),
       shift=shifts, text=texts)
def test_any_edited_field_of_any_event_is_named(length, pick, field, shift, text):
    events = make_chain(length)
    index = pick % length
    original = events[index]
    value = (edited_payload(original.payload, pick, shift, text) if field == "payload"
             else changed(getattr(original, field), shift, text))
    events[index] = replace(original, **{field: value})

    problem = _caught("batch:1", events, ChainTip(length, make_chain(length)[-1].hash))
    assert problem is not None
    # Every hashed field, its number in the chain too, breaks the event's own hash: the row is
    # named, with the number it now carries.
    assert (problem.stream, problem.kind, problem.seq, problem.event_row_id) == (
        "batch:1", "edited", events[index].seq, original.id)


@settings(max_examples=100, deadline=None)
@given(length=st.integers(min_value=1, max_value=12), pick=st.integers(min_value=0))
def test_any_deleted_event_is_caught_even_the_last_by_the_head(length, pick):
    events = make_chain(length)
    head = ChainTip(length, events[-1].hash)
    del events[pick % length]

    problem = _caught("batch:1", events, head)
    assert problem is not None and problem.stream == "batch:1"
    assert problem.kind in ("deleted", "truncated")
    assert problem.seq == pick % length + 1


@settings(max_examples=100, deadline=None)
@given(length=st.integers(min_value=2, max_value=12), pick=st.integers(min_value=0), rehash=st.booleans())
def test_any_two_neighbours_swapped_are_caught(length, pick, rehash):
    events = make_chain(length)
    head = ChainTip(length, events[-1].hash)
    i = pick % (length - 1)
    first, second = events[i], events[i + 1]
    # Each takes the other's place and number; the careful insider also hashes each again there.
    move = rehashed if rehash else replace
    events[i], events[i + 1] = move(second, seq=first.seq, id=first.id), move(first, seq=second.seq, id=second.id)

    problem = _caught("batch:1", events, head)
    assert problem is not None and problem.stream == "batch:1"
    assert problem.seq in (first.seq, second.seq)


# --- on the database: verify_log after one tampering by SQL ----------------------------------


@dataclass(frozen=True)
class Row:
    id: int
    stream: str
    seq: int


@pytest.fixture
def log(session: Session) -> list[Row]:
    """A world with a shipment received and partly used, its heads signed in a checkpoint."""
    world = make_world(session)
    shipment = world.ship(session, "400")
    world.receive(session, shipment, "380", "20", rejection_reason="包装破损")
    session.commit()
    checkpoint_create(session)
    session.commit()
    rows = session.execute(select(CustodyEvent.id, CustodyEvent.stream, CustodyEvent.seq)
                           .order_by(CustodyEvent.stream, CustodyEvent.seq)).all()
    session.commit()  # end the read: on SQLite it holds the write lock each example needs
    return [Row(*row) for row in rows]


TAMPERINGS = ("payload", "occurred_at", "actor_user_id", "actor_role", "delete", "swap")


def _tamper(session: Session, rows: list[Row], row: Row, how: str, pick: int, shift: timedelta, text: str) -> None:
    event = session.get(CustodyEvent, row.id)
    where = CustodyEvent.id == row.id
    if how == "payload":
        session.execute(update(CustodyEvent).where(where).values(
            payload=edited_payload(event.payload, pick, shift, text)))
    elif how == "occurred_at":
        session.execute(update(CustodyEvent).where(where).values(occurred_at=event.occurred_at + shift))
    elif how == "actor_user_id":
        session.execute(update(CustodyEvent).where(where).values(
            actor_user_id=None if event.actor_user_id else 1))
    elif how == "actor_role":
        session.execute(update(CustodyEvent).where(where).values(
            actor_role="inspector" if event.actor_role != "inspector" else "admin"))
    elif how == "delete":
        session.execute(delete(CustodyEvent).where(where))
    else:
        chain = [r for r in rows if r.stream == row.stream]
        neighbour = chain[row.seq] if row.seq < len(chain) else chain[row.seq - 2]
        # Through a free number: (stream, seq) is unique.
        session.execute(update(CustodyEvent).where(where).values(seq=-1))
        session.execute(update(CustodyEvent).where(CustodyEvent.id == neighbour.id).values(seq=row.seq))
        session.execute(update(CustodyEvent).where(where).values(seq=neighbour.seq))
    session.flush()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(min_value=0), how=st.sampled_from(TAMPERINGS), shift=shifts, text=texts)
def test_verify_log_names_the_chain_of_any_single_tampered_event(engine, log, pick, how, shift, text):
    candidates = [r for r in log if how != "swap" or sum(o.stream == r.stream for o in log) > 1]
    row = candidates[pick % len(candidates)]
    with Session(engine, expire_on_commit=False) as session:
        session.begin()
        try:
            assert verify_log(session).ok
            _tamper(session, log, row, how, pick, shift, text)
            report = verify_log(session)
            assert not report.ok
            named = [p for p in report.problems if p.stream == row.stream]
            assert named, (how, row, report.as_dict())
            if how not in ("delete", "swap"):
                assert (named[0].kind, named[0].seq, named[0].event_row_id) == ("edited", row.seq, row.id)
        finally:
            session.rollback()
