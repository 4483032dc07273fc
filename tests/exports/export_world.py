"""One small world in which the platform records every kind of custody event of goods, with
exactly known quantities: a lot of 1,000 kg shipped three times, received whole, in part
and not at all, used in the kitchen and in a served meal with its retained sample (taken
and thrown away), tested by a laboratory twice, held, released and recalled, and one
receipt corrected by a later event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from canteens import kitchen, meals, samples
from canteens.models import Meal, Shipment
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from inspections.models import TestOutcome
from tests.factories import World, days_ago, make_world
from trace.clock import local_zone
from trace.custody import record_event, stream_of
from trace.db import utcnow
from trace.models import CustodyEvent


@dataclass
class ExportWorld:
    world: World
    meal_id: int
    shipments: list[Shipment]
    corrected_event_id: str
    correction_event_id: str

    @property
    def batch(self):
        return self.world.batch


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=local_zone())


def make_export_world(session: Session) -> ExportWorld:
    world = make_world(session)
    staff, inspector = world.actor(world.staff), world.actor(world.inspector)
    whole = world.ship(session, "400", ship_date=days_ago(3))
    world.receive(session, whole, "400", receipt_date=days_ago(3))
    part = world.ship(session, "100", ship_date=days_ago(2))
    world.receive(session, part, "60", "40", receipt_date=days_ago(2), rejection_reason="外包装破损")
    refused = world.ship(session, "50", ship_date=days_ago(2))
    world.receive(session, refused, "0", "50", receipt_date=days_ago(2), rejection_reason="数量与单据不符")

    meal = meals.meal_get_or_create(session, actor=staff, meal_date=days_ago(3), meal=Meal.lunch, dishes=["米饭"],
                                    occurred_at=_noon(days_ago(3)))
    meals.meal_add_dish(session, actor=staff, meal_id=meal.id, name="番茄炒蛋", occurred_at=_noon(days_ago(3)))
    meals.meal_record_companion(session, actor=staff, meal_id=meal.id, name="示例张校长", title="副校长",
                                occurred_at=_noon(days_ago(3)))
    meals.meal_use(session, actor=staff, meal_id=meal.id, batch_id=world.batch.id, quantity=Decimal("25"), unit="kg",
                   dish="米饭", occurred_at=_noon(days_ago(3)))
    meals.meal_serve(session, actor=staff, meal_id=meal.id, occurred_at=_noon(days_ago(3)))
    sample = samples.sample_take(session, actor=staff, meal_id=meal.id, dish="米饭", weight_grams=Decimal("150"),
                                 fridge="留样柜1", taken_at=_noon(days_ago(3)))
    samples.sample_discard(session, actor=staff, sample_id=sample.id, note="到期处理")
    kitchen.use_create(session, actor=staff, data=UseCreate(batch_id=world.batch.id, quantity=Decimal("30"), unit="kg",
                                                            use_date=days_ago(2), meal=Meal.dinner, dish="米饭"))

    inspection_service.test_result_record(
        session, actor=inspector, batch_id=world.batch.id, kind="lab_report", method="GB 2762-2022",
        laboratory="示例济南市食品检验检测中心", outcome=TestOutcome.passed, report_number="JC-2025-0001",
        tested_at=utcnow())
    inspection_service.test_result_record(
        session, actor=inspector, batch_id=world.batch.id, kind="lab_report", method="GB 23200.113-2018",
        laboratory="示例济南市食品检验检测中心", outcome=TestOutcome.failed, report_number="JC-2025-0002",
        tested_at=utcnow())
    # The failed laboratory result has held the batch already (inspections.service): release, then recall.
    for action in ("release", "recall"):
        inspection_service.batch_change_status(session, actor=inspector, batch_id=world.batch.id, action=action,
                                               reason=f"示例{action}")

    # No service corrects a receipt yet: write the correction as one would, a new event pointing at the old.
    original = session.execute(select(CustodyEvent).where(CustodyEvent.biz_step == "receiving",
                                                           CustodyEvent.subject_id == str(part.id))).scalar_one()
    payload = json.loads(original.payload) | {"rejection_reason": "外包装破损，受潮", "error_reason": "incorrect_data"}
    correction = record_event(
        session, stream=stream_of("batch", world.batch.id), biz_step="receiving", action="OBSERVE",
        disposition=original.disposition, actor=staff, subject_type="shipment", subject_id=part.id,
        occurred_at=original.occurred_at, batch_id=world.batch.id, supplier_id=world.supplier.id,
        school_id=world.school.id, corrects_event_id=original.event_id, payload=payload)
    session.commit()
    return ExportWorld(world, meal.id, [whole, part, refused], original.event_id, correction.event_id)
