"""Syncing what a phone queued offline: each action applied once, on the device's time, refusals kept."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from canteens import device_sync
from canteens.models import KitchenUse, Stock
from canteens.sync_models import DeviceOperation
from inspections import service as inspection_service
from tests.canteens.meal_steps import open_meal, stocked
from tests.factories import bearer, make_school, make_user, make_world
from tests.helpers import assert_refused
from trace.custody import Actor, events_in_stream
from trace.db import utcnow, write_transaction
from trace.models import Role

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def world(session):
    return stocked(session, make_world(session))


def queued(world, *, quantity: str = "10", kind: str = "use", minutes_ago: int = 20, **extra) -> dict:
    """An action as offline.js queues it: the use form's fields, as text."""
    body = {"batch_id": str(world.batch.id), "quantity": quantity, "meal": "lunch", "dish": "米饭"}
    occurred = (utcnow() - timedelta(minutes=minutes_ago)).astimezone(CHINA)
    return {"client_operation_id": str(uuid.uuid4()), "kind": kind, "body": body,
            "device_occurred_at": occurred.isoformat(), **extra}


def sync(client, headers, *operations) -> list[dict]:
    response = client.post("/api/v1/sync/operations", json={"operations": list(operations)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def uses_of(session, world) -> list[KitchenUse]:
    session.expire_all()
    return list(session.execute(select(KitchenUse).where(KitchenUse.school_id == world.school.id)).scalars())


def on_hand(session, world) -> Decimal:
    session.expire_all()
    return session.execute(select(Stock).where(Stock.school_id == world.school.id)).scalar_one().on_hand


def test_a_queued_use_is_applied_with_the_record_it_wrote(client, session, world):
    [result] = sync(client, bearer(session, world.staff), queued(world))

    [use] = uses_of(session, world)
    assert result["status"] == "applied" and result["already_known"] is False
    assert result["record"] == {"type": "kitchen_use", "id": use.id}
    assert use.quantity == Decimal("10.000") and use.dish == "米饭" and use.used_by == world.staff.id
    assert on_hand(session, world) == Decimal("390.000")


def test_a_retried_sync_returns_the_same_outcome_and_applies_nothing_again(client, session, world):
    headers = bearer(session, world.staff)
    operation = queued(world)

    first = sync(client, headers, operation)[0]
    again = sync(client, headers, operation)[0]

    assert len(uses_of(session, world)) == 1 and on_hand(session, world) == Decimal("390.000")
    assert again["already_known"] is True
    assert {k: v for k, v in again.items() if k != "already_known"} == \
        {k: v for k, v in first.items() if k != "already_known"}


def test_the_time_on_the_device_is_the_events_time_and_the_arrival_is_kept_beside_it(client, session, world):
    operation = queued(world, minutes_ago=95)

    [result] = sync(client, bearer(session, world.staff), operation)

    device_time = datetime.fromisoformat(operation["device_occurred_at"])
    row = session.execute(select(DeviceOperation)).scalar_one()
    assert row.device_time == device_time and row.device_time.utcoffset() == timedelta(hours=8)
    assert datetime.fromisoformat(result["device_occurred_at"]) == device_time
    assert result["device_occurred_at"].endswith("+08:00")
    assert row.received_at - device_time > timedelta(minutes=90)
    event = [e for e in events_in_stream(session, f"batch:{world.batch.id}") if e.biz_step == "dispensing"][-1]
    assert event.occurred_at == device_time and event.recorded_at >= row.received_at - timedelta(seconds=5)


def test_a_use_of_a_lot_held_while_the_phone_was_offline_is_refused_and_kept(client, session, world):
    operation = queued(world)
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="农残快检阳性，待复检")
    session.commit()

    [result] = sync(client, bearer(session, world.staff), operation)

    assert result["status"] == "refused" and result["refusal"]["code"] == "batch_on_hold"
    assert "封存" in result["refusal"]["message"]["zh-CN"] and result["refusal"]["message"]["en"]
    assert uses_of(session, world) == []
    [kept] = device_sync.refusals_of_school(session, world.school.id)
    assert kept.client_operation_id == operation["client_operation_id"] and kept.refusal_code == "batch_on_hold"
    assert device_sync.refusals_waiting(session, world.school.id) == 1


def test_a_mixed_batch_applies_each_action_on_its_own(client, session, world):
    operations = [queued(world, quantity="300"), queued(world, quantity="300"), queued(world, quantity="50")]

    results = sync(client, bearer(session, world.staff), *operations)

    assert [r["status"] for r in results] == ["applied", "refused", "applied"]
    assert results[1]["refusal"]["code"] == "quantity_exceeds_stock"
    assert sorted(u.quantity for u in uses_of(session, world)) == [Decimal("50.000"), Decimal("300.000")]
    assert on_hand(session, world) == Decimal("50.000")


def test_a_device_clock_far_in_the_future_is_refused(client, session, world):
    [result] = sync(client, bearer(session, world.staff), queued(world, minutes_ago=-60))

    assert result["status"] == "refused" and result["refusal"]["code"] == "device_time_in_future"
    assert uses_of(session, world) == []


def test_an_action_older_than_the_limit_is_refused_and_kept(client, session, world):
    [result] = sync(client, bearer(session, world.staff), queued(world, minutes_ago=4 * 24 * 60))

    assert result["status"] == "refused" and result["refusal"]["code"] == "device_operation_too_old"
    assert device_sync.refusals_waiting(session, world.school.id) == 1


def test_an_unknown_kind_or_an_unreadable_body_is_refused_and_kept(client, session, world):
    broken = queued(world)
    broken["body"] = {"batch_id": "x"}

    results = sync(client, bearer(session, world.staff), queued(world, kind="teleport"), broken)

    assert [r["refusal"]["code"] for r in results] == ["operation_kind_unknown", "operation_body_invalid"]
    assert device_sync.refusals_waiting(session, world.school.id) == 2


def test_a_use_into_a_meal_is_applied_to_that_meal(client, session, world):
    meal = open_meal(session, world)
    operation = queued(world, kind="meal-use", meal_id=meal.id)
    operation["body"] = {"batch_id": str(world.batch.id), "quantity": "5", "unit": "kg", "dish": "米饭"}

    [result] = sync(client, bearer(session, world.staff), operation)

    [use] = uses_of(session, world)
    assert result["status"] == "applied" and use.meal == meal.meal and use.use_date == meal.meal_date


def test_an_operation_id_of_another_person_is_refused_and_not_stored_twice(client, session, world):
    colleague = make_user(session, Role.canteen_staff, school_id=world.school.id)
    operation = queued(world)
    sync(client, bearer(session, world.staff), operation)

    [result] = sync(client, bearer(session, colleague), operation)

    assert result["status"] == "refused" and result["refusal"]["code"] == "operation_id_taken"
    assert len(uses_of(session, world)) == 1


def test_only_canteen_staff_sync(client, session, world):
    response = client.post("/api/v1/sync/operations", json={"operations": [queued(world)]},
                           headers=bearer(session, world.admin))

    assert_refused(response, 403, "sync_staff_only")


def test_a_device_time_without_its_offset_is_refused_as_input(client, session, world):
    operation = queued(world)
    operation["device_occurred_at"] = "2025-11-03T11:02:40"

    response = client.post("/api/v1/sync/operations", json={"operations": [operation]},
                           headers=bearer(session, world.staff))

    assert_refused(response, 422, "invalid_request")


def test_two_syncs_of_the_same_queue_at_once_apply_each_action_once(app, session, world):
    headers = bearer(session, world.staff)
    operations = [queued(world, quantity="3") for _ in range(4)]
    ready = threading.Barrier(2)
    answers: list[list[dict]] = []

    def sync_all() -> None:
        with TestClient(app) as own:
            ready.wait()
            answers.append(sync(own, headers, *operations))

    workers = [threading.Thread(target=sync_all) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert len(answers) == 2
    assert len(uses_of(session, world)) == 4 and on_hand(session, world) == Decimal("388.000")
    for first, second in zip(*answers, strict=True):
        assert first["status"] == second["status"] == "applied" and first["record"] == second["record"]
    assert session.execute(select(func.count()).select_from(DeviceOperation)).scalar_one() == 4


def test_a_sync_that_loses_the_race_is_rolled_back_and_answers_with_the_winners_outcome(session, world,
                                                                                        monkeypatch):
    operation = device_sync.QueuedOperation.model_validate(queued(world))
    staff = Actor.of(world.staff)
    won = device_sync.operation_submit(session, actor=staff, operation=operation)
    session.commit()
    looked = []

    def saw_nothing_the_first_time(own, client_operation_id):
        # The loser looked before the winner committed.
        looked.append(client_operation_id)
        return None if len(looked) == 1 else operation_known(own, client_operation_id)

    operation_known = device_sync.operation_known
    monkeypatch.setattr(device_sync, "operation_known", saw_nothing_the_first_time)

    lost = device_sync.operation_submit_once(session, actor=staff, operation=operation,
                                             write=lambda: write_transaction(session))

    assert lost.already_known and lost.status == "applied"
    assert (lost.operation.record_type, lost.operation.record_id) == ("kitchen_use", won.operation.record_id)
    assert len(uses_of(session, world)) == 1 and on_hand(session, world) == Decimal("390.000")


# --- resolving a refusal -------------------------------------------------------------------------

def refused_one(session, world, client) -> DeviceOperation:
    operation = queued(world, quantity="999")
    sync(client, bearer(session, world.staff), operation)
    return device_sync.refusals_of_school(session, world.school.id)[0]


def test_a_refusal_is_resolved_with_a_note_once(client, session, world):
    row = refused_one(session, world, client)

    device_sync.operation_resolve(session, actor=Actor.of(world.staff), operation_id=row.id, note="已重新录入")
    session.commit()

    assert device_sync.refusals_waiting(session, world.school.id) == 0
    [done] = device_sync.refusals_of_school(session, world.school.id, resolved=True)
    assert done.resolution_note == "已重新录入" and done.resolved_by == world.staff.id and done.resolved_at
    with pytest.raises(Exception) as again:
        device_sync.operation_resolve(session, actor=Actor.of(world.staff), operation_id=row.id, note="再次")
    assert again.value.code == "operation_not_waiting"


def test_a_refusal_needs_a_note(client, session, world):
    row = refused_one(session, world, client)

    with pytest.raises(Exception) as refused:
        device_sync.operation_resolve(session, actor=Actor.of(world.staff), operation_id=row.id, note="  ")

    assert refused.value.code == "resolution_note_required"


def test_another_schools_staff_do_not_see_or_resolve_a_refusal(client, session, world):
    row = refused_one(session, world, client)
    stranger = make_user(session, Role.canteen_staff, school_id=make_school(session).id)

    with pytest.raises(Exception) as refused:
        device_sync.operation_resolve(session, actor=Actor.of(stranger), operation_id=row.id, note="已处理")

    assert refused.value.code == "operation_not_found"
