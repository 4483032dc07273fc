"""A separate process that hammers one batch with writes (run by test_concurrency)."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session

from canteens import service as canteen_service
from canteens.schemas import ShipmentCreate, UseCreate
from tests.factories import today
from trace.custody import Actor
from trace.db import make_engine
from trace.errors import Conflict
from trace.models import User


def main(url: str, action: str, user_id: int, batch_id: int, line_id: int, repeats: int, go_file: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        actor = Actor.of(session.get(User, user_id))
    while not Path(go_file).exists():  # start together, to collide as much as possible
        time.sleep(0.005)
    done = refused = 0
    for _ in range(repeats):
        with Session(engine, expire_on_commit=False) as session:
            try:
                if action == "ship":
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
    url, action, user_id, batch_id, line_id, repeats, go_file = sys.argv[1:]
    main(url, action, int(user_id), int(batch_id), int(line_id), int(repeats), go_file)
