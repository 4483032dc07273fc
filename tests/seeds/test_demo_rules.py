"""The demo a regulator would believe (issue 9, item 8): quantities near the national
guideline for school meals, every lot with the papers its category needs (domain.md §5),
rapid tests before acceptance with a few positives and their re-tests (§4), and a few
deliveries turned away for their temperature (§6)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from canteens.models import Meal, Receipt, Shipment
from inspections import rapid_tests
from inspections.models import TestResult
from seeds import kitchen
from seeds.loader import seed_demo
from suppliers import service as supplier_service
from suppliers.certificates import paper_problems
from suppliers.models import Batch, BatchCertificate, BatchStatus, Product
from trace import registry
from trace.db import make_engine
from trace.settings import get_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Session:
    # The demo is the same world on any database (test_loader checks that); SQLite, once, for these readings.
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    registry.metadata.create_all(engine)
    seed_demo(engine, days=5, start=date(2025, 9, 1), seed=2025)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("kind", ["小学", "初中", "高中"])
def test_lunch_per_person_is_within_the_guideline_ranges_ws_t_554(kind):
    columns = kitchen.AGE_COLUMNS[kind]
    for group, ranges in kitchen.GUIDELINE_PER_MEAL_G.items():
        low = min(ranges[c][0] for c in columns) / 1000
        high = max(ranges[c][1] for c in columns) / 1000
        assert low <= kitchen.per_meal_kg(group, kind) <= high, group


def test_grain_at_lunch_adds_up_to_the_guidelines_grain_ws_t_554():
    grains = [s for s in kitchen.STAPLES.values() if s.group == "谷薯类"]
    lunch = sum(s.per_person("初中").get(Meal.lunch, 0) for s in grains)
    assert lunch == pytest.approx(kitchen.per_meal_kg("谷薯类", "初中"))


def test_every_lot_carries_the_papers_its_category_needs_section_5(demo):
    papers = defaultdict(list)
    for certificate in demo.execute(select(BatchCertificate)).scalars():
        papers[certificate.batch_id].append(certificate)
    products = {p.id: p for p in demo.execute(select(Product)).scalars()}
    for batch in demo.execute(select(Batch)).scalars():
        product = products[batch.product_id]
        problems = paper_problems(supplier_service.product_required_papers(product), papers[batch.id])
        assert not problems, (batch.lot_code, problems)


def test_compliance_certificates_come_from_growers_not_from_traders_section_5_1(demo):
    issuers = set(demo.execute(select(BatchCertificate.issued_by).where(
        BatchCertificate.kind == "承诺达标合格证")).scalars())
    assert issuers and not any(("经营部" in i or "配送" in i or "贸易" in i) for i in issuers)


def test_every_accepted_cold_chain_delivery_was_within_its_limits_section_6(demo):
    products = {p.id: p for p in demo.execute(select(Product)).scalars()}
    batches = {b.id: b for b in demo.execute(select(Batch)).scalars()}
    for receipt in demo.execute(select(Receipt).where(Receipt.accepted_quantity > 0)).scalars():
        limits = supplier_service.arrival_limits(products[batches[receipt.batch_id].product_id])
        if limits is None:
            continue
        celsius = receipt.arrival_temperature_celsius
        assert celsius is not None and celsius <= limits.max_celsius
        assert limits.min_celsius is None or celsius >= limits.min_celsius


def test_a_few_deliveries_are_turned_away_for_their_temperature_section_6(demo):
    warm = demo.execute(select(Receipt).where(Receipt.rejection_reason.like("到货温度%"))).scalars().all()
    deliveries = len(demo.execute(select(Shipment.id)).all())
    assert warm and len(warm) < deliveries * 0.03
    assert all(r.accepted_quantity == 0 and r.arrival_temperature_celsius is not None for r in warm)


def test_rapid_verdicts_follow_the_configured_threshold_section_4_1(demo):
    threshold = Decimal(str(get_settings().enzyme_inhibition_positive_percent))
    tests = demo.execute(select(TestResult).where(TestResult.kind == rapid_tests.ENZYME_INHIBITION)).scalars().all()
    assert tests
    for test in tests:
        assert test.verdict == ("positive" if test.value >= threshold else "negative")


def test_a_small_share_of_first_rapid_tests_is_positive_section_4_1(demo):
    first = demo.execute(select(TestResult).where(TestResult.verdict.is_not(None),
                                                  TestResult.retest_of_id.is_(None))).scalars().all()
    positives = [t for t in first if t.verdict == "positive"]
    assert positives and len(positives) < len(first) * 0.05


def test_rapid_tests_come_before_the_acceptance_section_4_2(demo):
    received = {(r.batch_id, r.school_id): r.received_at for r in demo.execute(select(Receipt)).scalars()}
    for test in demo.execute(select(TestResult).where(TestResult.verdict.is_not(None))).scalars():
        assert test.tested_at < received[test.batch_id, test.school_id]


def test_positives_were_re_tested_and_what_followed_is_on_record_section_4_2(demo):
    tests = demo.execute(select(TestResult).where(TestResult.verdict == "positive",
                                                  TestResult.retest_of_id.is_(None))).scalars().all()
    standings = {t.id: _standing(demo, t) for t in tests}
    assert rapid_tests.Standing.counts in standings.values()
    for test in tests:
        rejected = demo.execute(select(Receipt).where(Receipt.batch_id == test.batch_id,
                                                      Receipt.school_id == test.school_id)).scalar_one()
        if standings[test.id] == rapid_tests.Standing.counts:
            assert rejected.accepted_quantity == 0  # never accepted on a positive that held up
            batch = demo.get(Batch, test.batch_id)
            lab = demo.execute(select(TestResult).where(TestResult.batch_id == batch.id,
                                                        TestResult.kind == "lab_report")).scalars().all()
            assert batch.status == BatchStatus.on_hold or (lab and batch.status in (BatchStatus.active,
                                                                                    BatchStatus.recalled))


def _standing(session: Session, first: TestResult) -> rapid_tests.Standing:
    retests = session.execute(select(TestResult.verdict).where(TestResult.retest_of_id == first.id)).scalars()
    return rapid_tests.standing(rapid_tests.Verdict(first.verdict), [rapid_tests.Verdict(v) for v in retests],
                                get_settings().rapid_test_retests)
