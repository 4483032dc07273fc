"""verify_log against direct tampering with the database, as an insider with SQL access would."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

from sqlalchemy import delete, select, text, update

from tests.factories import make_world
from trace.chain import HASHED_FIELDS, ChainTip, canonical_json, event_hash, hashed_view
from trace.checkpoints import (
    checkpoint_create,
    checkpoint_document,
    load_or_create_signing_key,
    public_key_pem,
    verify_log,
)
from trace.models import ChainHead, Checkpoint, CustodyEvent


def _world_with_history(session):
    world = make_world(session)
    shipment = world.ship(session, "400")
    world.receive(session, shipment, "400")
    session.commit()
    return world


def _batch_events(session, world):
    return session.execute(
        select(CustodyEvent).where(CustodyEvent.stream == f"batch:{world.batch.id}").order_by(CustodyEvent.seq)
    ).scalars().all()


def test_an_untouched_log_verifies(session):
    _world_with_history(session)
    checkpoint_create(session)
    session.commit()
    report = verify_log(session)
    assert report.ok, report.as_dict()
    assert report.events_checked > 5
    assert report.checkpoints_checked == 1


def test_editing_one_event_row_is_caught_and_named(session):
    world = _world_with_history(session)
    shipped = _batch_events(session, world)[1]
    session.execute(text("UPDATE custody_event SET payload = :p WHERE id = :id"),
                    {"p": shipped.payload.replace("400", "40"), "id": shipped.id})
    session.commit()
    report = verify_log(session)
    assert not report.ok
    assert report.problems[0].as_dict() | {"detail": None} == {
        "stream": f"batch:{world.batch.id}", "kind": "edited", "seq": 2, "event_row_id": shipped.id, "detail": None,
        "recorded": None, "found": None}


def test_deleting_one_event_row_is_caught_and_named(session):
    world = _world_with_history(session)
    shipped = _batch_events(session, world)[1]
    session.execute(delete(CustodyEvent).where(CustodyEvent.id == shipped.id))
    session.commit()
    problem = verify_log(session).problems[0]
    assert (problem.kind, problem.stream, problem.seq) == ("deleted", f"batch:{world.batch.id}", 2)


def test_deleting_the_newest_events_is_caught_by_the_chain_head(session):
    world = _world_with_history(session)
    newest = _batch_events(session, world)[-1]
    session.execute(delete(CustodyEvent).where(CustodyEvent.id == newest.id))
    session.commit()
    problem = verify_log(session).problems[0]
    assert (problem.kind, problem.seq) == ("truncated", newest.seq)


def test_cutting_the_tail_and_rewinding_the_head_is_caught_by_the_signed_checkpoint(session):
    world = _world_with_history(session)
    checkpoint_create(session)
    session.commit()
    events = _batch_events(session, world)
    newest, previous = events[-1], events[-2]
    session.execute(delete(CustodyEvent).where(CustodyEvent.id == newest.id))
    session.execute(update(ChainHead).where(ChainHead.stream == newest.stream)
                    .values(seq=previous.seq, hash=previous.hash))
    session.commit()
    problem = verify_log(session).problems[0]
    assert (problem.kind, problem.stream, problem.seq) == ("truncated", newest.stream, newest.seq)
    assert "checkpoint" in problem.detail


def test_deleting_checkpoints_too_is_caught_by_the_checkpoint_an_inspector_kept(session):
    world = _world_with_history(session)
    key = load_or_create_signing_key()
    held = checkpoint_document(checkpoint_create(session, key=key), public_key_pem(key))
    session.commit()
    events = _batch_events(session, world)
    session.execute(delete(CustodyEvent).where(CustodyEvent.id == events[-1].id))
    session.execute(update(ChainHead).where(ChainHead.stream == events[-1].stream)
                    .values(seq=events[-2].seq, hash=events[-2].hash))
    session.execute(delete(Checkpoint))
    session.execute(text("DELETE FROM checkpointed_head"))
    session.commit()
    assert verify_log(session).ok is True  # nothing inside the platform remembers…
    report = verify_log(session, held_checkpoint=json.loads(json.dumps(held)))
    assert not report.ok  # …but the inspector's copy does
    assert report.problems[0].stream == "checkpoint"


def test_a_forged_checkpoint_signature_is_refused(session):
    _world_with_history(session)
    checkpoint = checkpoint_create(session)
    session.commit()
    body = json.loads(checkpoint.body)
    body["root"] = "0" * 64
    session.execute(update(Checkpoint).where(Checkpoint.id == checkpoint.id)
                    .values(body=json.dumps(body, separators=(",", ":"), sort_keys=True)))
    session.commit()
    problem = verify_log(session).problems[0]
    assert (problem.stream, problem.kind) == ("checkpoint", "edited")


def test_checkpoints_list_only_the_chains_that_changed(session):
    world = _world_with_history(session)
    first = json.loads(checkpoint_create(session).body)
    world.ship(session, "100")
    session.commit()
    second = json.loads(checkpoint_create(session).body)
    session.commit()
    assert f"batch:{world.batch.id}" in first["changed"]
    assert list(second["changed"]) == [f"batch:{world.batch.id}"]
    assert second["stream_count"] == first["stream_count"]
    assert verify_log(session).ok


def _rewrite_and_relink_payload(session, world, seq: int) -> str:
    """What an insider with SQL could do: change one event's payload, then rehash it and
    relink and rehash every later event of its chain so that the chain walks clean.
    Returns the forged tip's hash."""
    events = _batch_events(session, world)
    prev = events[seq - 1].prev_hash
    for event in events[seq - 1:]:
        fields = {name: getattr(event, name) for name in HASHED_FIELDS}
        if event.seq == seq:
            fields["payload"] = canonical_json({**json.loads(event.payload), "quantity": "1.000"})
        new_hash = event_hash(hashed_view(SimpleNamespace(**fields)), prev)
        session.execute(update(CustodyEvent).where(CustodyEvent.id == event.id)
                        .values(payload=fields["payload"], prev_hash=prev, hash=new_hash))
        prev = new_hash
    session.commit()
    return prev


def test_a_rewritten_and_relinked_history_is_caught_by_the_chain_head(session):
    world = _world_with_history(session)
    _rewrite_and_relink_payload(session, world, 2)
    problems = verify_log(session).problems
    stream = f"batch:{world.batch.id}"
    assert [(p.stream, p.kind) for p in problems] == [(stream, "head_mismatch")]
    assert "chain_head table" in problems[0].detail


def test_a_rewritten_history_with_a_moved_head_is_caught_by_the_saved_checkpoint(session):
    world = _world_with_history(session)
    checkpoint_create(session)
    session.commit()
    forged_tip = _rewrite_and_relink_payload(session, world, 2)
    stream = f"batch:{world.batch.id}"
    session.execute(update(ChainHead).where(ChainHead.stream == stream).values(hash=forged_tip))
    session.commit()
    problems = verify_log(session).problems
    assert [(p.stream, p.kind) for p in problems] == [(stream, "head_mismatch")]
    assert problems[0].detail.startswith("checkpoint ")


def test_a_signed_checkpoint_whose_root_does_not_match_its_heads_is_refused(session):
    _world_with_history(session)
    key = load_or_create_signing_key()
    checkpoint = checkpoint_create(session, key=key)
    session.commit()
    # Signed with the platform key, so only the root check can tell.
    body = json.loads(checkpoint.body)
    body["root"] = "0" * 64
    body_text = canonical_json(body)
    session.execute(update(Checkpoint).where(Checkpoint.id == checkpoint.id).values(
        body=body_text, signature=base64.b64encode(key.sign(body_text.encode())).decode()))
    session.commit()
    report = verify_log(session)
    assert [p.as_dict() for p in report.problems] == [{
        "stream": "checkpoint", "kind": "edited", "seq": 1, "event_row_id": None,
        "detail": "root does not match the heads it lists",
        "recorded": None, "found": None}]
    assert report.checkpoints_checked == 0


# --- an inspector's kept checkpoint when the platform's own are gone ---------------------------


def _keep_checkpoint(session):
    key = load_or_create_signing_key()
    held = checkpoint_document(checkpoint_create(session, key=key), public_key_pem(key))
    session.commit()
    return json.loads(json.dumps(held))  # what the inspector's file holds, not our objects


def _cut_back(session, stream):
    """Delete a chain's newest event and rewind its head, as an insider covering a tail would."""
    events = session.execute(select(CustodyEvent).where(CustodyEvent.stream == stream)
                             .order_by(CustodyEvent.seq)).scalars().all()
    newest, previous = events[-1], events[-2]
    session.execute(delete(CustodyEvent).where(CustodyEvent.id == newest.id))
    session.execute(update(ChainHead).where(ChainHead.stream == stream).values(seq=previous.seq, hash=previous.hash))
    return newest, previous


def _erase_platform_checkpoints(session):
    session.execute(delete(Checkpoint))
    session.execute(text("DELETE FROM checkpointed_head"))


def _rewrite_and_relink(session, stream):
    """Edit a chain's first event, re-hash every event after it and the head: the chain walks clean."""
    events = session.execute(select(CustodyEvent).where(CustodyEvent.stream == stream)
                             .order_by(CustodyEvent.seq)).scalars().all()
    original_tip = ChainTip(events[-1].seq, events[-1].hash)
    events[0].payload = events[0].payload.replace("}", ',"note":"改写"}', 1) if events[0].payload != "{}" \
        else '{"note":"改写"}'
    prev_hash = events[0].prev_hash
    for event in events:
        event.prev_hash = prev_hash
        event.hash = event_hash(hashed_view(event), prev_hash)
        prev_hash = event.hash
    session.execute(update(ChainHead).where(ChainHead.stream == stream)
                    .values(seq=events[-1].seq, hash=events[-1].hash))
    session.flush()
    return original_tip, ChainTip(events[-1].seq, events[-1].hash)


def _held_problems(report):
    return {p.stream: p for p in report.problems if "held checkpoint" in p.detail}


def test_an_untouched_log_verifies_against_a_kept_checkpoint(session):
    _world_with_history(session)
    held = _keep_checkpoint(session)

    report = verify_log(session, held_checkpoint=held)

    assert report.ok, report.as_dict()


def test_every_chain_cut_back_is_named_when_the_platform_checkpoints_are_erased_too(session):
    world = _world_with_history(session)
    held = _keep_checkpoint(session)
    batch_cut, batch_left = _cut_back(session, f"batch:{world.batch.id}")
    supplier_cut, supplier_left = _cut_back(session, f"supplier:{world.supplier.id}")
    _erase_platform_checkpoints(session)
    session.commit()

    report = verify_log(session, held_checkpoint=held)

    assert ("checkpoint", "truncated") in {(p.stream, p.kind) for p in report.problems}
    named = _held_problems(report)
    assert set(named) == {batch_cut.stream, supplier_cut.stream}
    for cut, left in ((batch_cut, batch_left), (supplier_cut, supplier_left)):
        problem = named[cut.stream]
        assert problem.kind == "truncated"
        assert (problem.recorded.seq, problem.recorded.hash) == (cut.seq, cut.hash)
        assert (problem.found.seq, problem.found.hash) == (left.seq, left.hash)


def test_a_history_rewritten_and_relinked_is_named_by_the_kept_checkpoint(session):
    world = _world_with_history(session)
    held = _keep_checkpoint(session)
    stream = f"supplier:{world.supplier.id}"
    original, rewritten = _rewrite_and_relink(session, stream)
    _erase_platform_checkpoints(session)
    session.commit()
    assert verify_log(session).ok  # the chain walks clean and matches its rewritten head…

    report = verify_log(session, held_checkpoint=held)

    problem = _held_problems(report)[stream]  # …but not what the inspector kept
    assert problem.kind == "head_mismatch"
    assert problem.recorded == original and problem.found == rewritten


def test_a_kept_later_checkpoint_still_names_the_chains_it_lists_when_earlier_ones_are_erased(session):
    world = _world_with_history(session)
    checkpoint_create(session)
    world.ship(session, "100")
    session.commit()
    held = _keep_checkpoint(session)  # lists only the batch chain, which changed since the first
    cut, left = _cut_back(session, f"batch:{world.batch.id}")
    _erase_platform_checkpoints(session)
    session.commit()

    report = verify_log(session, held_checkpoint=held)

    problem = _held_problems(report)[cut.stream]
    assert (problem.recorded.seq, problem.found.seq) == (cut.seq, left.seq)
    assert any("only the 1 chains it lists" in p.detail for p in report.problems)


def test_a_chain_with_every_event_deleted_is_named_with_what_the_kept_checkpoint_recorded(session):
    world = _world_with_history(session)
    held = _keep_checkpoint(session)
    stream = f"supplier:{world.supplier.id}"
    session.execute(delete(CustodyEvent).where(CustodyEvent.stream == stream))
    session.execute(delete(ChainHead).where(ChainHead.stream == stream))
    _erase_platform_checkpoints(session)
    session.commit()

    problem = _held_problems(verify_log(session, held_checkpoint=held))[stream]

    assert (problem.kind, problem.recorded.seq, problem.found.seq) == ("truncated", 2, 0)


def test_the_cli_names_every_chain_the_kept_checkpoint_no_longer_reaches(session, database_url, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from trace.cli import app as cli
    from trace.settings import get_settings

    world = _world_with_history(session)
    (tmp_path / "copy.json").write_text(json.dumps(_keep_checkpoint(session), ensure_ascii=False))
    batch_cut, batch_left = _cut_back(session, f"batch:{world.batch.id}")
    supplier_cut, _ = _cut_back(session, f"supplier:{world.supplier.id}")
    _erase_platform_checkpoints(session)
    session.commit()
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["verify", "--checkpoint", str(tmp_path / "copy.json")])
    finally:
        monkeypatch.delenv("DATABASE_URL")
        get_settings.cache_clear()

    assert result.exit_code == 2, result.output
    assert "the platform no longer holds the checkpoint the inspector kept" in result.output
    assert f"{batch_cut.stream} seq {batch_cut.seq}" in result.output
    assert f"{supplier_cut.stream} seq {supplier_cut.seq}" in result.output
    assert f"seq {batch_cut.seq} {batch_cut.hash}" in result.output  # what the inspector's copy recorded…
    assert f"seq {batch_left.seq} {batch_left.hash}" in result.output  # …and what the platform now has


def test_the_api_names_every_chain_the_kept_checkpoint_no_longer_reaches(client, session):
    from tests.factories import bearer

    world = _world_with_history(session)
    held = _keep_checkpoint(session)
    batch_cut, batch_left = _cut_back(session, f"batch:{world.batch.id}")
    supplier_cut, _ = _cut_back(session, f"supplier:{world.supplier.id}")
    _erase_platform_checkpoints(session)
    session.commit()

    response = client.post("/api/v1/chains/verify", json=held, headers=bearer(session, world.inspector))

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is False
    named = {p["stream"]: p for p in report["problems"] if "held checkpoint" in p["detail"]}
    assert set(named) == {batch_cut.stream, supplier_cut.stream}
    assert named[batch_cut.stream]["recorded"] == {"seq": batch_cut.seq, "hash": batch_cut.hash}
    assert named[batch_cut.stream]["found"] == {"seq": batch_left.seq, "hash": batch_left.hash}
