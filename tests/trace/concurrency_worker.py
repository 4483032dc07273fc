"""A separate process that hammers one batch with writes (run by test_concurrency)."""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from canteens import service as canteen_service
from canteens.schemas import ShipmentCreate, UseCreate
from tests.factories import today
from trace.custody import Actor, record_event
from trace.db import make_engine
from trace.errors import Conflict
from trace.models import User


def main(url: str, action: str, user_id: int, batch_id: int, line_id: int, repeats: int, sync_dir: str,
         workers: int) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        actor = Actor.of(session.get(User, user_id))
    # Start together, once every worker has started (imports take seconds), to collide as much as possible.
    (Path(sync_dir) / f"ready-{os.getpid()}").touch()
    while len(list(Path(sync_dir).glob("ready-*"))) < workers:
        time.sleep(0.002)
    done = refused = 0
    for _ in range(repeats):
        with Session(engine, expire_on_commit=False) as session:
            try:
                if action == "first_event":
                    # batch_id names a family of chains that do not exist yet: every process
                    # writes the first event of each, at once.
                    record_event(session, stream=f"drill:{batch_id}:{done + refused}", biz_step="inspecting",
                                 action="OBSERVE", actor=actor, subject_type="drill", subject_id=done + refused,
                                 payload={"by": actor.user_id})
                elif action == "ship":
                    canteen_service.shipment_create(session, actor=actor, data=ShipmentCreate(
                        batch_id=batch_id, order_line_id=line_id, quantity=Decimal("10"), unit="kg",
                        ship_date=today()))
                else:
                    canteen_service.use_create(session, actor=actor, data=UseCreate(
                        batch_id=batch_id, quantity=Decimal("1.5"), unit="kg", use_date=today(), meal="lunch"))
                session.commit()
                done += 1
            except Conflict:
                session.rollback()
                refused += 1
    print(json.dumps({"done": done, "refused": refused}))


if __name__ == "__main__":
    url, action, user_id, batch_id, line_id, repeats, sync_dir, workers = sys.argv[1:]
    main(url, action, int(user_id), int(batch_id), int(line_id), int(repeats), sync_dir, int(workers))
