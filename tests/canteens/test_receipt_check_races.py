"""Two people at the door at once, on SQLite and PostgreSQL alike (issue 12, item 2).

- Two staff members scan the same delivery and open a check at the same moment, from two processes:
  exactly one check opens; the other is told, with a 409, to confirm that one instead. The database
  holds it too (``receipt_check.open_shipment_id`` is unique), and the batch's lock orders the two.
- A hold that lands between a check's opening and its confirmation refuses the confirmation, and
  nothing is written: no receipt, no stock, no receiving event, the shipment's total unmoved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

from fastapi.encoders import jsonable_encoder
from sqlalchemy import func, select

from canteens.models import Receipt, ReceiptCheck, Shipment, Stock
from tests.factories import bearer, check_fields, make_world
from tests.helpers import assert_refused
from trace.guard import PROJECT_ROOT
from trace.models import CustodyEvent

ROUNDS = 8


def _token(session, user) -> str:
    return bearer(session, user)["Authorization"].removeprefix("Bearer ")


def _run(tmp_path, database_url, jobs: list[list[dict]]) -> list[list[str]]:
    sync = tmp_path / "sync"
    sync.mkdir()
    workers = [subprocess.Popen([sys.executable, "-m", "tests.canteens.check_race_worker", database_url, str(sync),
                                 str(me), str(len(jobs)), json.dumps(rounds)],
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=os.environ.copy())
               for me, rounds in enumerate(jobs)]
    answers = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))
    return answers


def test_two_staff_opening_a_check_on_one_delivery_at_once_get_one_check(session, database_url, tmp_path):
    world = make_world(session)
    shipments = [world.ship(session, "10") for _ in range(ROUNDS)]
    bodies = [jsonable_encoder(check_fields(session, shipment, "10")) for shipment in shipments]
    tokens = (_token(session, world.staff), _token(session, world.staff2))
    session.commit()
    first, second = _run(tmp_path, database_url, [
        [{"path": "/api/v1/receipt-checks", "body": body, "token": token} for body in bodies] for token in tokens])
    for number, answers in enumerate(zip(first, second, strict=True)):
        assert Counter(answers) == Counter({"201": 1, "409 receipt_check_already_open": 1}), (number, answers)
    session.expire_all()
    for shipment in shipments:
        checks = session.execute(select(ReceiptCheck).where(ReceiptCheck.shipment_id == shipment.id)).scalars().all()
        assert [c.open_shipment_id for c in checks] == [shipment.id]


def test_a_hold_between_opening_and_confirming_refuses_the_confirmation_and_writes_nothing(client, session):
    world = make_world(session)
    shipment = world.ship(session, "10")
    body = jsonable_encoder(check_fields(session, shipment, "10"))
    first, second, inspector = (bearer(session, u) for u in (world.staff, world.staff2, world.inspector))
    batch_events = select(func.count()).select_from(CustodyEvent).where(CustodyEvent.stream == f"batch:{world.batch.id}")
    events_before = session.scalar(batch_events)
    session.commit()  # the test's own reads end before the app writes (SQLite: one writer)
    check = client.post("/api/v1/receipt-checks", json=body, headers=first)
    assert check.status_code == 201, check.text
    held = client.post(f"/api/v1/batches/{world.batch.id}/hold", json={"reason": "快检阳性，封存待检"}, headers=inspector)
    assert held.status_code == 200
    assert_refused(client.post(f"/api/v1/receipt-checks/{check.json()['id']}/confirm", headers=second),
                   409, "batch_on_hold")
    session.expire_all()
    assert session.get(Shipment, shipment.id).accounted_quantity == Decimal(0)
    assert session.scalar(select(func.count()).select_from(Receipt)) == 0
    assert session.scalar(select(func.count()).select_from(Stock)) == 0
    # On the batch's chain only the hold was written since the check opened (a check itself writes none).
    assert session.scalar(batch_events) == events_before + 1
    assert client.get(f"/api/v1/receipt-checks/{check.json()['id']}", headers=second).json()["status"] == "open"
