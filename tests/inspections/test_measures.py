"""Market supervision's measures on a batch: seal (封存), lift the seal (解除封存) and recall
(召回). Each is a custody event on the batch's chain with its reason; a sealed batch moves
nowhere until the seal is lifted; a recall is final."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from canteens import service as canteen_service
from canteens.schemas import UseCreate
from inspections import service
from suppliers.models import BatchStatus
from tests.factories import make_world, today
from trace.custody import events_in_stream, stream_of
from trace.errors import Conflict


@pytest.fixture
def world(session):
    return make_world(session)


def _measure(session, world, action: str, reason: str = "抽检"):
    return service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                       action=action, reason=reason)


def test_a_seal_puts_the_batch_on_hold_and_records_why(session, world):
    batch = _measure(session, world, "hold", reason="快检阳性，待复检")

    assert batch.status == BatchStatus.on_hold
    event = events_in_stream(session, stream_of("batch", batch.id))[-1]
    assert (event.biz_step, event.disposition) == ("holding", "non_conformant")
    assert json.loads(event.payload)["reason"] == "快检阳性，待复检"
    assert event.actor_role == "inspector"


def test_a_sealed_batch_cannot_be_shipped(session, world):
    _measure(session, world, "hold")

    with pytest.raises(Conflict) as refused:
        world.ship(session, "10")
    assert refused.value.code == "batch_on_hold"


def test_a_sealed_batch_cannot_be_received(session, world):
    shipment = world.ship(session, "10")
    _measure(session, world, "hold")

    with pytest.raises(Conflict) as refused:
        world.receive(session, shipment, "10")
    assert refused.value.code == "batch_on_hold"


def test_a_sealed_batch_cannot_go_into_the_kitchen(session, world):
    world.receive(session, world.ship(session, "10"), "10")
    _measure(session, world, "hold")

    with pytest.raises(Conflict) as refused:
        canteen_service.use_create(session, actor=world.actor(world.staff), data=UseCreate(
            batch_id=world.batch.id, quantity=Decimal("1"), unit="kg", use_date=today(), meal="lunch"))
    assert refused.value.code == "batch_on_hold"


def test_lifting_the_seal_makes_the_batch_usable_again(session, world):
    _measure(session, world, "hold")
    batch = _measure(session, world, "release", reason="复检阴性")

    assert batch.status == BatchStatus.active
    event = events_in_stream(session, stream_of("batch", batch.id))[-1]
    assert (event.biz_step, event.disposition) == ("inspecting", "conformant")
    assert world.ship(session, "10").quantity == Decimal("10")


def test_a_seal_cannot_be_lifted_from_a_batch_that_is_not_sealed(session, world):
    with pytest.raises(Conflict) as refused:
        _measure(session, world, "release")
    assert refused.value.code == "batch_status_conflict"
    assert refused.value.details["current_status"] == "active"


def test_a_batch_cannot_be_sealed_twice(session, world):
    _measure(session, world, "hold")
    with pytest.raises(Conflict):
        _measure(session, world, "hold")


@pytest.mark.parametrize("before", [[], ["hold"]], ids=["active", "sealed"])
def test_a_recall_is_final(session, world, before):
    for action in before:
        _measure(session, world, action)
    batch = _measure(session, world, "recall", reason="抽检不合格")

    assert batch.status == BatchStatus.recalled
    for action in ("hold", "release", "recall"):
        with pytest.raises(Conflict):
            _measure(session, world, action)


def test_a_refused_measure_writes_no_event(session, world):
    stream = stream_of("batch", world.batch.id)
    before = len(events_in_stream(session, stream))

    with pytest.raises(Conflict):
        _measure(session, world, "release")

    assert len(events_in_stream(session, stream)) == before
