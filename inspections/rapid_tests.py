"""Rapid tests (快检, domain.md §4): the verdict from a reading, and what a positive needs before it counts.

A rapid test screens; it cannot replace a laboratory test (§4.2). So its results are
阴性 or 阳性（待确证）, never 合格 / 不合格, and a positive counts only after the re-tests
by the same method agree (§4.1). Thresholds are settings. Pure rules: no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trace.i18n import N_
from trace.settings import Settings

ENZYME_INHIBITION = "pesticide_enzyme_inhibition"
CLENBUTEROL = "clenbuterol"


class Verdict(StrEnum):
    negative = "negative"
    positive = "positive"


VERDICT_LABELS = {
    Verdict.negative: N_("Negative"),
    Verdict.positive: N_("Positive (to be confirmed)"),
}


@dataclass(frozen=True)
class RapidTestKind:
    name_zh: str
    method: str
    value_unit: str
    section: str


RAPID_TESTS: dict[str, RapidTestKind] = {
    ENZYME_INHIBITION: RapidTestKind("农药残留快检（酶抑制法）", "GB/T 5009.199-2003", "%", "§4.1"),
    # A card reader gives the T/C line intensity ratio; a weak or absent T line is positive.
    CLENBUTEROL: RapidTestKind("瘦肉精快检（胶体金免疫层析法）", "胶体金免疫层析法（瘦肉精快速检测卡）", "T/C", "§4.3"),
}

# Vegetables whose own compounds inhibit the enzyme (§4.1, V1): 葱、蒜、姜、萝卜、韭菜、芹菜、
# 香菜、茭白、蘑菇、番茄. Matched in product names; 胡萝卜 (carrot) is not a 萝卜 (radish).
_FALSE_POSITIVE_WORDS = ("葱", "蒜", "姜", "萝卜", "韭菜", "芹菜", "香菜", "芫荽", "茭白", "菇", "蘑", "番茄", "西红柿")
_NOT_MEANT = ("胡萝卜",)


def prone_to_false_positive(kind: str, product_name: str) -> bool:
    """Whether an enzyme-inhibition result on this vegetable may be a false positive (§4.1)."""
    if kind != ENZYME_INHIBITION:
        return False
    name = product_name
    for word in _NOT_MEANT:
        name = name.replace(word, "")
    return any(word in name for word in _FALSE_POSITIVE_WORDS)


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    warning: bool  # a negative in the configurable warning band


def read(kind: str, value: Decimal, settings: Settings) -> Reading:
    """The verdict of one rapid test from its value; the caller never supplies it."""
    if kind == ENZYME_INHIBITION:
        positive = value >= Decimal(str(settings.enzyme_inhibition_positive_percent))
        band = settings.enzyme_inhibition_warning_percent
        warning = not positive and band is not None and value >= Decimal(str(band))
        return Reading(Verdict.positive if positive else Verdict.negative, warning)
    if kind == CLENBUTEROL:
        positive = value < Decimal(str(settings.clenbuterol_positive_below_tc_ratio))
        return Reading(Verdict.positive if positive else Verdict.negative, False)
    raise KeyError(kind)


class Standing(StrEnum):
    """Where a first positive stands after its re-tests (§4.1, §4.2)."""

    negative = "negative"  # the first test was negative
    awaiting_retest = "awaiting_retest"  # positive, re-tests still due
    counts = "counts"  # every re-test positive: the batch stops and goes to a laboratory (§4.2)
    not_repeated = "not_repeated"  # a re-test came out negative: the first positive does not count


STANDING_LABELS = {
    Standing.negative: N_("Negative"),
    Standing.awaiting_retest: N_("Positive (to be confirmed): awaiting re-tests"),
    Standing.counts: N_("Rapid-test positive (every re-test positive): stop using the batch and send it to a "
                        "qualified laboratory to confirm"),
    Standing.not_repeated: N_("The first positive was not repeated by the re-tests: it does not count as a positive"),
}


def standing(first: Verdict, retests: Sequence[Verdict], required: int) -> Standing:
    """A positive counts only when ``required`` re-tests by the same method are all positive."""
    if first == Verdict.negative:
        return Standing.negative
    if Verdict.negative in retests:
        return Standing.not_repeated
    return Standing.counts if len(retests) >= required else Standing.awaiting_retest
