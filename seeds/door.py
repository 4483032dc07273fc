"""The demo at the canteen's door: shipping, the arrival check and rapid tests, receipts checked by
two of the school's staff (one opens the check, the other confirms it), rejections returned or
destroyed on the spot, and the holds a positive test leads to, confirmed or released by a
laboratory the next day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from canteens import deliveries as canteen_deliveries
from canteens import receipt_checks
from canteens.schemas import ReceiptCheckCreate, ShipmentCreate
from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TestOutcome
from seeds.kitchen import RECEIPT_TIME, SHIP_TIME
from seeds.plans import Delivery, ProductSpec, at_about
from suppliers import service as supplier_service
from suppliers.cold_chain import ArrivalLimits
from suppliers.models import BatchStatus
from trace.custody import Actor
from trace.db import quantity
from trace.settings import get_settings

# How often things go wrong at the door (demo values): a truck too warm for its cold-chain
# load, a first rapid test positive, a negative in the warning band.
TOO_WARM_SHARE = 0.012
POSITIVE_SHARE = 0.015
WARNING_SHARE = 0.03
LAB_TIME = time(9, 0)


class AtTheDoor:
    """The generator's deliveries and tests (mixed into :class:`seeds.activity.ActivityGenerator`)."""

    inspector: Actor
    arrival: dict[str, ArrivalLimits | None]
    on_hold: dict[int, int]
    papers_seen: dict[int, list[str]]

    # --- shipping, testing, receiving ------------------------------------------------------

    def _ship_and_receive(self, session: Session, rng: random.Random, delivery: Delivery, day: date) -> None:
        """Ship, then at the door, two staff together (双人联检): temperature, rapid test (re-tests of a
        positive), the papers; one opens the check, the other confirms it a little later."""
        product = delivery.product
        shipment = self._ship(session, rng, delivery, day)
        if shipment is None:
            return
        opener = rng.choice(delivery.school.staff)
        confirmer = delivery.school.staff[1] if opener is delivery.school.staff[0] else delivery.school.staff[0]
        arrived_at = at_about(day, RECEIPT_TIME, rng, 60)
        temperature, too_warm = self._arrival_temperature(rng, product)
        rejected, reason, disposal, readings, positive = Decimal(0), "", None, [], False
        checked_at = arrived_at + timedelta(minutes=10)
        if too_warm:
            rejected, reason, disposal = shipment.quantity, f"到货温度 {temperature} ℃ 超出验收范围，整批拒收退回", "returned"
        else:
            checked_at = arrived_at + timedelta(minutes=rng.randint(5, 15))
            readings, positive = self._rapid_test(rng, delivery, day)
            if positive:
                rejected, reason, disposal = (shipment.quantity, "农残快检阳性（复检仍为阳性），整批拒收，当场销毁，"
                                              "已报区市场监管局", "destroyed")
            elif rng.random() < 0.01:
                package = product.conversions.get(delivery.ordered_unit)
                if package is not None and delivery.ordered_quantity >= 2:
                    rejected, reason, disposal = package, "包装破损", "returned"
                else:
                    rejected, reason, disposal = (max(Decimal("0.1"), quantity(shipment.quantity * Decimal("0.04"))),
                                                  "感官异常", "destroyed")
        # The first checker opens the check as the readings are taken; the second confirms half an hour
        # after arrival, when the goods have been looked over together.
        check = receipt_checks.check_open(session, actor=opener, occurred_at=checked_at, data=ReceiptCheckCreate(
            shipment_id=shipment.id, accepted_quantity=shipment.quantity - rejected, rejected_quantity=rejected,
            unit=product.unit, rejection_reason=reason, rejected_disposal=disposal,
            arrival_temperature_celsius=temperature, certificates_checked=self._papers(session, delivery),
            rapid_test_value=readings[0] if readings else None, rapid_test_retests=readings[1:], receipt_date=day))
        receipt = receipt_checks.check_confirm(session, actor=confirmer, check_id=check.id,
                                               occurred_at=arrived_at + timedelta(minutes=35))
        if positive:
            self._hold(session, delivery, arrived_at + timedelta(minutes=40))
        delivery.accepted = receipt.accepted_quantity

    def _papers(self, session: Session, delivery: Delivery) -> list[str]:
        """The papers on file with the lot, every one ticked as seen (索证索票)."""
        papers = self.papers_seen.get(delivery.batch_id)
        if papers is None:
            papers = self.papers_seen[delivery.batch_id] = [
                c.kind for c in supplier_service.certificates_of(session, delivery.batch_id)]
        return papers

    def _ship(self, session: Session, rng: random.Random, delivery: Delivery, day: date,
              not_after: datetime | None = None) -> Row[Any] | None:
        """The supplier's truck leaves early in the morning (not after ``not_after``, when given)."""
        if delivery.batch_id in self.on_hold:
            return None  # the supplier may not ship a held lot; the school goes without it today
        return canteen_deliveries.shipment_create(session, actor=delivery.supplier.actor, data=ShipmentCreate(
            batch_id=delivery.batch_id, order_line_id=delivery.line_id, quantity=delivery.ordered_quantity,
            unit=delivery.ordered_unit, ship_date=day), occurred_at=at_about(day, SHIP_TIME, rng, 45, not_after))

    def _arrival_temperature(self, rng: random.Random, product: ProductSpec) -> tuple[float | None, bool]:
        """A probe reading for cold-chain goods; now and then a truck arrives too warm."""
        limits = self.arrival[product.code]
        if limits is None:
            return None, False
        if rng.random() < TOO_WARM_SHARE:
            return round(limits.max_celsius + rng.uniform(0.6, 3.5), 1), True
        if product.storage == "frozen":
            return round(rng.uniform(-20, limits.max_celsius - 0.5), 1), False
        low = 0.5 if limits.min_celsius is None else limits.min_celsius + 0.5
        return round(rng.uniform(low, limits.max_celsius - 1.5), 1), False

    def _rapid_test(self, rng: random.Random, delivery: Delivery, day: date) -> tuple[list[Decimal], bool]:
        """The readings of the rapid test before acceptance (a first one, then the re-tests of a positive),
        and whether a positive held up through its re-tests (§4.1)."""
        kind = delivery.product.rapid_test
        if kind == rapid_tests.ENZYME_INHIBITION:
            draw = rng.random()
            if draw < POSITIVE_SHARE:
                value = rng.uniform(52, 78)
            elif draw < POSITIVE_SHARE + WARNING_SHARE:
                value = rng.uniform(40, 49.9)
            else:
                value = rng.uniform(5, 35)
        elif kind == rapid_tests.CLENBUTEROL:
            # T line as strong as C or stronger: negative. The generator's own draws stay as they were
            # before every acceptance needed a reading (so the demo's days, and its morning, do not move);
            # the readings it did not draw come from a generator of their own.
            if rng.random() < 0.25:
                value = rng.uniform(1.1, 2.4)
            else:
                value = random.Random(delivery.batch_id * 100_003 + day.toordinal()).uniform(1.1, 2.4)
        else:
            return [], False
        settings = get_settings()
        first = self._reading(kind, value)
        readings = [first]
        if rapid_tests.read(kind, first, settings).verdict != rapid_tests.Verdict.positive:
            return readings, False
        # §4.1: the positive is re-tested twice by the same method. Vegetables that interfere
        # with the enzyme are re-done with whole-leaf extraction and mostly come out negative.
        prone = rapid_tests.prone_to_false_positive(kind, delivery.product.name)
        holds_up = rng.random() < (0.2 if prone else 0.6)
        for _ in range(settings.rapid_test_retests):
            readings.append(self._reading(kind, rng.uniform(51, 75) if holds_up else rng.uniform(8, 30)))
            if rapid_tests.read(kind, readings[-1], settings).verdict == rapid_tests.Verdict.negative:
                return readings, False
        return readings, True

    @staticmethod
    def _reading(kind: str, value: float) -> Decimal:
        return Decimal(str(round(value, 2 if kind == rapid_tests.CLENBUTEROL else 1)))

    def _hold(self, session: Session, delivery: Delivery, at: datetime) -> None:
        """§4.2: the district's inspectors stop the lot; a laboratory confirms on the next school day.

        A positive that every re-test repeated has held the lot already (inspections.service holds it
        with the test that failed); the inspectors' own hold is then not needed."""
        self.on_hold[delivery.batch_id] = delivery.school.id
        if supplier_service.batch_get(session, delivery.batch_id).status != BatchStatus.active:
            return
        inspection_service.batch_change_status(
            session, actor=self.inspector, batch_id=delivery.batch_id, action="hold", occurred_at=at,
            reason=f"{delivery.product.name}验收时农残快检阳性，同法复检两次仍为阳性；暂停使用，抽样送检验机构确证")

    def _confirm_holds(self, session: Session, rng: random.Random, day: date) -> None:
        """Yesterday's holds: the laboratory's result, then a recall or a release (§4.2)."""
        for batch_id, school_id in sorted(self.on_hold.items()):
            reported_at = at_about(day, LAB_TIME, rng, 120)
            confirmed = rng.random() < 0.6
            inspection_service.test_result_record(
                session, actor=self.inspector, batch_id=batch_id, school_id=school_id, kind="lab_report",
                method="GB 23200.113-2018（气相色谱-质谱联用法）", laboratory="示例济南市食品检验检测中心",
                report_number=f"JC{day:%Y%m%d}{batch_id:06d}",
                outcome=TestOutcome.failed if confirmed else TestOutcome.passed, tested_at=reported_at)
            inspection_service.batch_change_status(
                session, actor=self.inspector, batch_id=batch_id, action="recall" if confirmed else "release",
                occurred_at=reported_at + timedelta(minutes=30),
                reason="实验室检验确认农药残留超标，召回并监督销毁" if confirmed
                else "实验室检验合格，快检阳性未获确证，解除封存")
        self.on_hold.clear()
