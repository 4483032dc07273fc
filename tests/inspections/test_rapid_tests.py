"""Rapid tests (domain.md §4): the verdict comes from the value and the configured threshold,
a positive is 阳性（待确证） and counts only after its re-tests, and vegetables that give false
positives are flagged on the result."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TestOutcome
from inspections.rapid_tests import Standing, Verdict, prone_to_false_positive, read, standing
from tests.factories import make_world
from trace.custody import events_for_batch
from trace.db import utcnow
from trace.errors import Conflict, Invalid
from trace.i18n import label
from trace.settings import Settings

ENZYME = rapid_tests.ENZYME_INHIBITION


def test_enzyme_inhibition_of_50_percent_or_more_is_positive_section_4_1():
    assert read(ENZYME, Decimal("50.0"), Settings()).verdict == Verdict.positive
    assert read(ENZYME, Decimal("49.9"), Settings()).verdict == Verdict.negative


def test_the_threshold_is_a_setting_section_4_1():
    assert read(ENZYME, Decimal("45"), Settings(enzyme_inhibition_positive_percent=45)).verdict == Verdict.positive


def test_a_negative_in_the_warning_band_is_flagged_section_4_1():
    reading = read(ENZYME, Decimal("42"), Settings())
    assert (reading.verdict, reading.warning) == (Verdict.negative, True)
    assert not read(ENZYME, Decimal("42"), Settings(enzyme_inhibition_warning_percent=None)).warning


def test_a_clenbuterol_card_with_a_weak_t_line_is_positive_section_4_3():
    assert read(rapid_tests.CLENBUTEROL, Decimal("0.4"), Settings()).verdict == Verdict.positive
    assert read(rapid_tests.CLENBUTEROL, Decimal("1.6"), Settings()).verdict == Verdict.negative


def test_rapid_results_are_named_negative_and_positive_to_be_confirmed_not_pass_or_fail_section_4_2():
    names = {verdict: label(message, "zh-CN") for verdict, message in rapid_tests.VERDICT_LABELS.items()}
    assert (names[Verdict.negative], names[Verdict.positive]) == ("阴性", "阳性（待确证）")
    assert not {"合格", "不合格"} & set(names.values())


def test_a_positive_counts_only_when_both_re_tests_agree_section_4_1():
    assert standing(Verdict.positive, [], 2) == Standing.awaiting_retest
    assert standing(Verdict.positive, [Verdict.positive], 2) == Standing.awaiting_retest
    assert standing(Verdict.positive, [Verdict.positive, Verdict.positive], 2) == Standing.counts
    assert standing(Verdict.positive, [Verdict.negative], 2) == Standing.not_repeated


@pytest.mark.parametrize("name", ["章丘大葱", "洋葱", "韭菜", "芹菜", "鲜香菇", "西红柿", "白萝卜"])
def test_vegetables_known_to_give_false_positives_are_recognised_section_4_1(name):
    assert prone_to_false_positive(ENZYME, name)


@pytest.mark.parametrize("name", ["菠菜", "胡萝卜", "大白菜"])
def test_other_vegetables_are_not_flagged_section_4_1(name):
    assert not prone_to_false_positive(ENZYME, name)


@pytest.fixture
def world(session):
    return make_world(session, category="蔬菜", name="韭菜", storage="chilled", shelf_life_days=10,
                      rapid_test=ENZYME, conversions={})


def record(session, world, value, **overrides):
    fields = {"actor": world.actor(world.staff), "batch_id": world.batch.id, "school_id": world.school.id,
              "kind": ENZYME, "value": None if value is None else Decimal(value), "tested_at": utcnow()}
    fields.update(overrides)
    return inspection_service.test_result_record(session, **fields)


def test_the_service_computes_the_verdict_from_the_value_section_4_1(session, world):
    result = record(session, world, "63.5")
    assert (result.verdict, result.outcome, result.method) == ("positive", TestOutcome.warning, "GB/T 5009.199-2003")
    assert result.false_positive_prone  # 韭菜
    [*_, event] = events_for_batch(session, world.batch.id)
    assert json.loads(event.payload)["verdict"] == "positive"


def test_the_caller_cannot_supply_a_rapid_tests_verdict_section_4_1(session, world):
    with pytest.raises(Invalid) as refused:
        record(session, world, "20", outcome=TestOutcome.passed)
    assert refused.value.code == "verdict_is_computed"


def test_a_rapid_test_needs_its_value_section_4_1(session, world):
    with pytest.raises(Invalid) as refused:
        record(session, world, None)
    assert refused.value.code == "test_value_required"


def test_a_re_test_points_at_the_positive_it_re_tests_and_two_make_it_count_section_4_1(session, world):
    first = record(session, world, "61")
    record(session, world, "58", retest_of_id=first.id)
    assert inspection_service.rapid_test_standing(session, first.id) == Standing.awaiting_retest
    second = record(session, world, "66", retest_of_id=first.id)
    assert second.retest_of_id == first.id
    assert inspection_service.rapid_test_standing(session, first.id) == Standing.counts


def test_a_negative_re_test_means_the_first_positive_does_not_count_section_4_1(session, world):
    first = record(session, world, "61")
    record(session, world, "22", retest_of_id=first.id)
    assert inspection_service.rapid_test_standing(session, first.id) == Standing.not_repeated


def test_no_third_re_test_is_recorded_section_4_1(session, world):
    first = record(session, world, "61")
    record(session, world, "60", retest_of_id=first.id)
    record(session, world, "60", retest_of_id=first.id)
    with pytest.raises(Conflict) as refused:
        record(session, world, "60", retest_of_id=first.id)
    assert refused.value.code == "retests_complete"


def test_only_a_positive_is_re_tested_section_4_1(session, world):
    first = record(session, world, "12")
    with pytest.raises(Conflict) as refused:
        record(session, world, "15", retest_of_id=first.id)
    assert refused.value.code == "retest_of_not_positive"


def test_a_re_test_uses_the_same_method_section_4_1(session, world):
    first = record(session, world, "61")
    with pytest.raises(Conflict) as refused:
        record(session, world, "60", retest_of_id=first.id, method="另一种速测卡")
    assert refused.value.code == "retest_mismatch"


def test_a_laboratory_report_states_its_outcome_and_its_laboratory_section_4_2(session, world):
    report = inspection_service.test_result_record(
        session, actor=world.actor(world.inspector), batch_id=world.batch.id, kind="lab_report",
        method="GB 23200.113-2018", laboratory="示例济南市食品检验检测中心", outcome=TestOutcome.failed,
        tested_at=utcnow() + timedelta(minutes=1))
    assert report.verdict is None and report.outcome == TestOutcome.failed
    with pytest.raises(Invalid):
        inspection_service.test_result_record(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                              kind="lab_report", method="GB 23200.113-2018",
                                              outcome=TestOutcome.passed, tested_at=utcnow())
