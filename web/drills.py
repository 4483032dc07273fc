"""Mock-recall drills (模拟召回演练): the recall list of a batch, computed and timed, changing nothing.

The list is ``trace.queries.trace_forward``'s, the same one a real recall starts from, so a
drill measures what a recall would find. It lists every school the batch was *shipped* to,
including a school that rejected all of it at the door (received 0, rejected the whole
delivery): the inspector must see that the batch reached that door and was turned back, and
that school has nothing on hand to call back. Receipt corrections count as the latest
correction says (``canteens.current``, through the stock totals).

Writes only the drill record (``inspections.drills.MockRecallDrill``): no custody event, no
status, no stock, so no batch lock is taken.
"""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from inspections.drills import MockRecallDrill
from trace.custody import Actor
from trace.errors import NotFound
from trace.queries import trace_forward

# One drill row per school, in this order (the JSON keys, the CSV columns).
DRILL_COLUMNS = ("school_id", "school_code", "school_name", "town", "shipped_quantity", "in_transit_quantity",
                 "received_quantity", "rejected_quantity", "used_quantity", "on_hand_quantity", "last_used_on")
_QUANTITIES = {"shipped_quantity", "in_transit_quantity", "received_quantity", "rejected_quantity",
               "used_quantity", "on_hand_quantity"}


def _row(destination: dict[str, Any]) -> dict[str, Any]:
    row = {}
    for name in DRILL_COLUMNS:
        value = destination[name]
        if name in _QUANTITIES:
            value = f"{Decimal(value).normalize():f}"  # text: a JSON number would lose the thousandths' exactness
        elif name == "last_used_on":
            value = value.isoformat() if value else None
        row[name] = value
    return row


def drill_run(session: Session, *, actor: Actor, batch_id: int) -> MockRecallDrill:
    """Compute the batch's recall list, time it, and keep the drill (the caller commits)."""
    started = time.perf_counter()
    forward = trace_forward(session, actor, batch_id)  # refuses a batch the actor may not see
    rows = [_row(d) for d in forward["destinations"]]
    duration_ms = max(0, round((time.perf_counter() - started) * 1000))
    drill = MockRecallDrill(batch_id=forward["batch"].id, run_by=actor.user_id, duration_ms=duration_ms,
                            school_count=len(rows), unit=forward["unit"],
                            destinations=json.dumps(rows, ensure_ascii=False))
    session.add(drill)
    session.flush()
    return drill


def drill_get(session: Session, drill_id: int) -> MockRecallDrill:
    drill = session.get(MockRecallDrill, drill_id)
    if drill is None:
        raise NotFound("drill_not_found", "没有这次演练", "No such drill")
    return drill


def drills_of_batch(session: Session, batch_id: int, *, limit: int = 20) -> list[MockRecallDrill]:
    return list(session.execute(select(MockRecallDrill).where(MockRecallDrill.batch_id == batch_id)
                                .order_by(MockRecallDrill.id.desc()).limit(limit)).scalars())


def drill_rows(drill: MockRecallDrill) -> list[dict[str, Any]]:
    return json.loads(drill.destinations)


def drill_public(drill: MockRecallDrill) -> dict[str, Any]:
    return {"id": drill.id, "batch_id": drill.batch_id, "run_by": drill.run_by, "run_at": drill.run_at,
            "duration_ms": drill.duration_ms, "school_count": drill.school_count, "unit": drill.unit,
            "destinations": drill_rows(drill)}


def drill_csv(drill: MockRecallDrill, header: list[str]) -> str:
    """The list as CSV with a byte-order mark, so a spreadsheet program opens the Chinese names right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in drill_rows(drill):
        writer.writerow(["" if row[name] is None else row[name] for name in DRILL_COLUMNS] + [drill.unit])
    return out.getvalue()
