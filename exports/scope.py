"""Which custody events an export holds: one lot (or batch), or a date range, as the caller may see them.

Exports read the event log of goods: the chains of batches (``batch:…``) and of meals
(``meal:…``); accounts, schools, suppliers, products and orders keep their own chains
and are not goods movements. Who sees what (trace/policy.py, ``export.read``):

- inspectors and admins: every event;
- a supplier: the events of its own batches, up to the canteens' door — shipping,
  receiving, tests, holds and recalls — but not the kitchen's use or meals (as
  ``use.read`` and ``meal.read`` refuse suppliers);
- canteen staff: their own school's events, and the events of the batches sent to it
  that belong to no school (a lot's registration, holds, recalls).

A lot or batch the caller may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from canteens.dates import assert_date_range
from canteens.meal_models import SchoolMeal
from canteens.models import KitchenUse, Shipment
from suppliers.models import Batch
from trace.clock import local_zone
from trace.custody import Actor
from trace.digital_link import normalize_gtin, normalize_lot
from trace.errors import Invalid, NotFound
from trace.models import CustodyEvent
from trace.queries import batch_visible_to

# A year of school days, with a margin: a longer range is refused rather than left to run for minutes.
MAX_RANGE_DAYS = 400
PAGE = 1000
# Days a custody event can have happened on; outside them a range names nothing (and its instants overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
GOODS_STREAMS = ("batch:%", "meal:%")


@dataclass(frozen=True)
class ExportScope:
    """What to export and for whom. ``batch_ids`` for a lot, else the date range."""

    actor: Actor
    batch_ids: tuple[int, ...] = ()
    meal_streams: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    name: str = "export"  # for file names: lot-MS251101A, 2025-09-01_2025-09-30

    @property
    def is_lot(self) -> bool:
        return bool(self.batch_ids)


def export_scope(session: Session, actor: Actor, *, batch_id: int | None = None, lot: str | None = None,
                 gtin: str | None = None, date_from: date | None = None, date_to: date | None = None) -> ExportScope:
    """The scope asked for: exactly one of a batch, a lot code (optionally with its GTIN) or a date range."""
    asked = sum(x is not None for x in (batch_id, lot)) + (date_from is not None or date_to is not None)
    if asked != 1:
        raise Invalid("export_scope_required", "请指定一个批次（batch_id）、一个批号（lot）或一个日期范围（from 和 to）",
                      "Ask for one batch (batch_id), one lot code (lot) or one date range (from and to)")
    if gtin is not None and lot is None:
        raise Invalid("gtin_without_lot", "商品条码（gtin）只能与批号（lot）一起使用", "gtin narrows a lot code: give lot too")
    if batch_id is not None or lot is not None:
        batches = _batches_asked(session, actor, batch_id=batch_id, lot=lot, gtin=gtin)
        ids = tuple(b.id for b in batches)
        name = "lot-" + "-".join(sorted({b.lot_code for b in batches}))
        return ExportScope(actor, batch_ids=ids, meal_streams=_meals_of(session, actor, ids), name=name)
    if date_from is None or date_to is None:
        raise Invalid("date_range_incomplete", "日期范围须同时给出起始日期（from）和截止日期（to）",
                      "A date range needs both from and to")
    assert_date_range(date_from, date_to)
    for day in (date_from, date_to):
        if not EARLIEST <= day <= LATEST:
            raise Invalid("date_out_of_range", f"日期须在 {EARLIEST.year} 年至 {LATEST.year} 年之间",
                          f"Dates run from {EARLIEST.year} to {LATEST.year}", date=day.isoformat())
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise Invalid("date_range_too_long", f"日期范围最长 {MAX_RANGE_DAYS} 天，请分段导出",
                      f"A date range covers at most {MAX_RANGE_DAYS} days; export it in parts",
                      max_days=MAX_RANGE_DAYS)
    return ExportScope(actor, date_from=date_from, date_to=date_to, name=f"{date_from}_{date_to}")


def _batches_asked(session: Session, actor: Actor, *, batch_id: int | None, lot: str | None,
                   gtin: str | None) -> list[Batch]:
    if batch_id is not None:
        batch = session.get(Batch, batch_id)
        if batch is None or not batch_visible_to(session, actor, batch):
            raise NotFound("batch_not_found", f"批次 {batch_id} 不存在", f"Batch {batch_id} not found",
                           batch_id=batch_id)
        return [batch]
    assert lot is not None
    statement = select(Batch).where(Batch.lot_code == normalize_lot(lot))
    if gtin is not None:
        statement = statement.where(Batch.gtin == normalize_gtin(gtin))
    found = [b for b in session.execute(statement.order_by(Batch.id)).scalars() if batch_visible_to(session, actor, b)]
    if not found:
        raise NotFound("lot_not_found", f"没有批号为 {lot} 的批次", f"No batch with lot code {lot}", lot=lot)
    return found


def _meals_of(session: Session, actor: Actor, batch_ids: tuple[int, ...]) -> tuple[str, ...]:
    """The chains of the meals the lot went into (its transformation, and the samples kept of them)."""
    if actor.role == "supplier":
        return ()
    joined = and_(SchoolMeal.school_id == KitchenUse.school_id, SchoolMeal.meal_date == KitchenUse.use_date,
                  SchoolMeal.meal == KitchenUse.meal)
    statement = select(SchoolMeal.id).join(KitchenUse, joined).where(KitchenUse.batch_id.in_(batch_ids)).distinct()
    if actor.role == "canteen_staff":
        statement = statement.where(SchoolMeal.school_id == actor.school_id)
    return tuple(f"meal:{meal_id}" for meal_id in sorted(session.execute(statement).scalars()))


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=local_zone())


def _where(scope: ExportScope) -> list[Any]:
    actor, conditions = scope.actor, []
    if scope.is_lot:
        of_lot = CustodyEvent.batch_id.in_(scope.batch_ids)
        conditions.append(or_(of_lot, CustodyEvent.stream.in_(scope.meal_streams)) if scope.meal_streams else of_lot)
    else:
        assert scope.date_from is not None and scope.date_to is not None
        conditions += [CustodyEvent.occurred_at >= _local_midnight(scope.date_from),
                       CustodyEvent.occurred_at < _local_midnight(scope.date_to + timedelta(days=1)),
                       or_(*(CustodyEvent.stream.like(pattern) for pattern in GOODS_STREAMS))]
    if actor.role == "supplier":
        conditions += [CustodyEvent.stream.like("batch:%"), CustodyEvent.supplier_id == actor.supplier_id,
                       CustodyEvent.biz_step != "dispensing"]
    elif actor.role == "canteen_staff":
        sent_here = select(Shipment.batch_id).where(Shipment.school_id == actor.school_id)
        conditions.append(or_(CustodyEvent.school_id == actor.school_id,
                              and_(CustodyEvent.school_id.is_(None), CustodyEvent.stream.like("batch:%"),
                                   CustodyEvent.batch_id.in_(sent_here))))
    elif actor.role not in ("admin", "inspector"):
        conditions.append(CustodyEvent.id.is_(None))
    return conditions


def event_count(session: Session, scope: ExportScope) -> int:
    return session.execute(select(func.count()).select_from(CustodyEvent).where(*_where(scope))).scalar_one()


def events_in_scope(session: Session, scope: ExportScope) -> Iterator[list[CustodyEvent]]:
    """The events in time order, a page at a time (keyset paging: memory stays flat for a year)."""
    conditions = _where(scope)
    after: tuple[datetime, int] | None = None
    while True:
        statement = select(CustodyEvent).where(*conditions)
        if after is not None:
            at, last_id = after
            statement = statement.where(or_(CustodyEvent.occurred_at > at,
                                            and_(CustodyEvent.occurred_at == at, CustodyEvent.id > last_id)))
        page = list(session.execute(statement.order_by(CustodyEvent.occurred_at, CustodyEvent.id).limit(PAGE)).scalars())
        if not page:
            return
        yield page
        # Pages are read and written out, never kept: let the session forget them.
        for event in page:
            session.expunge(event)
        after = (page[-1].occurred_at, page[-1].id)
        if len(page) < PAGE:
            return


def corrected_event_ids(session: Session, scope: ExportScope) -> set[str]:
    """The events in scope that a later event corrects (corrections are rare: a small set)."""
    statement = select(CustodyEvent.corrects_event_id).where(*_where(scope), CustodyEvent.corrects_event_id.is_not(None))
    return set(session.execute(statement).scalars())


def events_by_event_id(session: Session, event_ids: set[str]) -> dict[str, CustodyEvent]:
    if not event_ids:
        return {}
    statement = select(CustodyEvent).where(CustodyEvent.event_id.in_(event_ids))
    return {e.event_id: e for e in session.execute(statement).scalars()}
