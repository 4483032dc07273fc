"""食品生产/经营许可证 number formats, as in docs/domain.md §2 (format only)."""

from __future__ import annotations

from typing import Any

import pytest

from suppliers.licence_numbers import LICENCE_KINDS, parse_licence_number
from trace.errors import Invalid


def reason_of(value: str, **options: Any) -> str:
    with pytest.raises(Invalid) as caught:
        parse_licence_number(value, **options)
    assert caught.value.code == "invalid_licence_number"
    assert caught.value.status == 422
    reason: str = caught.value.details["reason"]
    return reason


def test_sc_number_is_a_food_production_licence_with_its_category() -> None:
    licence = parse_licence_number("SC10137011400015")
    assert licence.kind == "food_production"
    assert licence.category_code == "101"
    assert licence.category_zh == "粮食加工品"
    assert licence.region == "370114"


def test_sc_food_additive_category_is_described() -> None:
    assert parse_licence_number("SC20137011400015").category_zh == "食品添加剂"


@pytest.mark.parametrize("category", [f"1{n:02d}" for n in range(1, 32)] + ["201", "202", "203"])
def test_every_sc_category_of_domain_md_section_2_is_named(category: str) -> None:
    licence = parse_licence_number(f"SC{category}37011400015")
    assert licence.kind == "food_production"
    assert licence.category_zh


def test_sc_soy_products_category_is_named_as_the_catalogue_does() -> None:
    assert parse_licence_number("SC12537011400015").category_zh == "豆制品"


@pytest.mark.parametrize("category", ["100", "132", "199", "200", "204", "299"])
def test_sc_category_outside_1_01_31_and_2_01_03_is_refused_section_2(category: str) -> None:
    assert reason_of(f"SC{category}37011400015") == "category"


def test_sc_region_is_named_from_gb_t_2260_section_2() -> None:
    assert parse_licence_number("SC10137011400015").region_zh == "山东省济南市章丘区"


@pytest.mark.parametrize("number", ["SC10137019900015", "SC10100000000015", "JY13799140001234", "JY19901140001234"])
def test_sc_and_jy_region_must_be_a_gb_t_2260_division_section_2(number: str) -> None:
    assert reason_of(number) == "region"


def test_beijing_jy_numbers_are_checked_by_province_only_section_2() -> None:
    # Beijing writes 区/直属分局 + 街乡镇 where other provinces write city and county.
    licence = parse_licence_number("JY11199990001234")
    assert licence.region_zh == "北京市"


def test_jy_number_names_the_region_it_was_issued_in_section_2() -> None:
    assert parse_licence_number("JY33701140001237").region_zh == "山东省济南市章丘区"


def test_prepackaged_food_filing_number_follows_the_configured_pattern_section_2() -> None:
    filing = parse_licence_number("yb1 3701140000012", kind="prepackaged_filing")
    assert filing.kind == "prepackaged_filing"
    assert filing.number == "YB13701140000012"
    assert filing.kind_zh == "仅销售预包装食品备案"


def test_malformed_filing_number_is_refused_naming_the_pattern_section_2() -> None:
    assert reason_of("JY13701140001234", kind="prepackaged_filing") == "format"


def test_filing_number_pattern_is_a_setting_because_section_2_marks_it_unverified(monkeypatch) -> None:
    from trace.settings import get_settings

    monkeypatch.setenv("TRACE_FILING_NUMBER_PATTERN", r"BA[0-9]{6}")
    get_settings.cache_clear()
    try:
        assert parse_licence_number("BA123456", kind="prepackaged_filing").number == "BA123456"
        assert reason_of("YB13701140000012", kind="prepackaged_filing") == "format"
    finally:
        monkeypatch.delenv("TRACE_FILING_NUMBER_PATTERN")
        get_settings.cache_clear()


def test_jy_number_is_a_food_business_licence_with_its_operator_type() -> None:
    licence = parse_licence_number("JY13701140001234")
    assert licence.kind == "food_business"
    assert licence.category_zh == "食品销售经营者"
    assert licence.region == "370114"


def test_school_canteen_licence_is_a_unit_canteen() -> None:
    licence = parse_licence_number("JY33701140001237")
    assert licence.category_zh == "单位食堂"
    assert licence.is_unit_canteen


def test_catering_licence_is_not_a_unit_canteen() -> None:
    assert not parse_licence_number("JY23701140001237").is_unit_canteen


def test_full_width_spaced_lower_case_number_is_normalized() -> None:
    assert parse_licence_number("ｊｙ３ 3701-1400 0123 7").number == "JY33701140001237"


@pytest.mark.parametrize(
    "value",
    [
        "SC1013701140001",  # 13 digits after SC
        "SC101370114000155",  # 15 digits
        "SC30137011400015",  # category must start with 1 or 2
        "JY43701140001234",  # 主体业态 is 1, 2 or 3
        "JY3370114000123",  # 13 digits after JY
        "JY3370114000123X",
        "XK13701140001234",
        "",
    ],
)
def test_malformed_numbers_are_refused(value: str) -> None:
    assert reason_of(value) == "format"


def test_non_ascii_digits_are_refused() -> None:
    assert reason_of("SC1013701140001٥") == "format"


def test_legacy_qs_number_is_refused_by_default() -> None:
    assert reason_of("QS370101010001") == "legacy_qs"


def test_legacy_qs_number_is_accepted_for_historical_records() -> None:
    licence = parse_licence_number("QS370101010001", allow_legacy_qs=True)
    assert licence.kind == "legacy_qs"
    assert licence.region == "3701"
    assert licence.category_code == "0101"


def test_expected_kind_must_match() -> None:
    assert reason_of("SC10137011400015", kind="food_business") == "kind_mismatch"
    assert reason_of("JY13701140001234", kind="food_production") == "kind_mismatch"


def test_legacy_qs_stands_for_a_production_licence() -> None:
    licence = parse_licence_number("QS370101010001", kind="food_production", allow_legacy_qs=True)
    assert licence.kind == "legacy_qs"


def test_licence_kind_names_come_from_the_zh_cn_catalog() -> None:
    assert LICENCE_KINDS["prepackaged_filing"]["zh"] == "仅销售预包装食品备案"


def test_licence_kinds_name_both_numbered_licences() -> None:
    assert LICENCE_KINDS["food_production"]["zh"] == "食品生产许可证"
    assert LICENCE_KINDS["food_production"]["prefix"] == "SC"
    assert LICENCE_KINDS["food_business"]["zh"] == "食品经营许可证"
    assert LICENCE_KINDS["food_business"]["prefix"] == "JY"
