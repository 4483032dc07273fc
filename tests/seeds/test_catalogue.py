"""The demo seed files hold together: real 章丘 towns, valid codes, every product suppliable."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from seeds.catalogue import SeedSupplier, load_products, load_schools, load_suppliers
from suppliers.credit_code import validate_credit_code
from suppliers.licence_numbers import parse_licence_number
from trace.settings import get_settings

# docs/domain.md §7: 章丘区 streets and towns with their 12-digit statistical codes.
ZHANGQIU_TOWNS = {
    "370114001000": "明水街道",
    "370114002000": "双山街道",
    "370114003000": "枣园街道",
    "370114004000": "龙山街道",
    "370114005000": "埠村街道",
    "370114006000": "圣井街道",
    "370114007000": "普集街道",
    "370114008000": "绣惠街道",
    "370114009000": "相公庄街道",
    "370114010000": "文祖街道",
    "370114011000": "官庄街道",
    "370114012000": "高官寨街道",
    "370114013000": "白云湖街道",
    "370114014000": "宁家埠街道",
    "370114015000": "曹范街道",
    "370114100000": "刁镇",
    "370114101000": "垛庄镇",
    "370114102000": "黄河镇",
}
CATEGORIES = {
    "粮食",
    "食用油",
    "肉类",
    "禽蛋",
    "水产",
    "蔬菜",
    "水果",
    "乳制品",
    "豆制品",
    "调味品",
}
SCHOOL_KINDS = {"幼儿园", "小学", "初中", "高中", "九年一贯制", "职校"}
# The demo's "today": one canteen licence is set to expire within 90 days of it.
DEMO_TODAY = date(2026, 11, 28)


def gs1_check_digit_ok(gtin: str) -> bool:
    """GS1 mod 10: weights 3, 1, 3, … from the rightmost digit before the check digit."""
    body, check = gtin[:-1], int(gtin[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def in_good_standing(supplier: SeedSupplier, on: date) -> bool:
    licensed = supplier.kind == "edible_agricultural" or (
        bool(supplier.licences)
        and all(licence.expires_on is None or licence.expires_on >= on for licence in supplier.licences)
    )
    return supplier.status == "active" and not supplier.dishonest and licensed


def test_gs1_check_digit_rule_matches_a_published_example() -> None:
    assert gs1_check_digit_ok("4006381333931")
    assert not gs1_check_digit_ok("4006381333932")


# Schools


def test_there_are_32_schools_with_unique_codes() -> None:
    schools = load_schools()
    assert len(schools) == 32
    assert len({s.code for s in schools}) == 32


def test_every_school_is_in_a_zhangqiu_town_with_its_own_code() -> None:
    for school in load_schools():
        assert ZHANGQIU_TOWNS.get(school.town_code) == school.town, school.code


def test_schools_cover_every_town() -> None:
    assert {s.town_code for s in load_schools()} == set(ZHANGQIU_TOWNS)


def test_urban_streets_have_the_most_schools() -> None:
    per_town = Counter(s.town for s in load_schools())
    urban = [per_town[t] for t in ("明水街道", "双山街道", "圣井街道")]
    others = [n for town, n in per_town.items() if town not in ("明水街道", "双山街道", "圣井街道")]
    assert min(urban) > max(others)


def test_school_kinds_are_a_realistic_mix() -> None:
    kinds = Counter(s.kind for s in load_schools())
    assert set(kinds) == SCHOOL_KINDS
    assert kinds["小学"] > kinds["初中"] > kinds["高中"]


def test_kindergartens_are_schools_named_as_kindergartens() -> None:
    # The seed document covers 中小学、幼儿园.
    kindergartens = [s for s in load_schools() if s.kind == "幼儿园"]
    assert kindergartens
    assert all(s.name.endswith("幼儿园") and s.students < 1000 for s in kindergartens)


def test_nine_year_schools_are_named_as_their_kind() -> None:
    for school in load_schools():
        if school.kind == "九年一贯制":
            assert school.name.endswith("九年一贯制学校"), school.code


def test_students_and_staff_total_is_about_fifty_thousand() -> None:
    total = sum(s.students + s.staff for s in load_schools())
    assert 50_000 <= total <= 55_000


def test_every_canteen_holds_a_zhangqiu_unit_canteen_licence() -> None:
    for school in load_schools():
        licence = parse_licence_number(school.canteen_licence, kind="food_business")
        assert licence.is_unit_canteen, school.code
        assert licence.region == "370114", school.code


def test_canteen_licences_are_unique() -> None:
    numbers = [s.canteen_licence for s in load_schools()]
    assert len(set(numbers)) == len(numbers)


def test_canteen_licences_run_five_years() -> None:
    for school in load_schools():
        issued = school.canteen_licence_issued_on
        five_years_on = issued.replace(year=issued.year + 5) - timedelta(days=1)
        assert school.canteen_licence_expires_on == five_years_on, school.code


def test_exactly_one_canteen_licence_expires_within_90_days() -> None:
    soon = [
        s.code
        for s in load_schools()
        if DEMO_TODAY <= s.canteen_licence_expires_on <= DEMO_TODAY + timedelta(days=90)
    ]
    assert len(soon) == 1


def test_other_canteen_licences_are_valid_through_august_2027() -> None:
    late = [s for s in load_schools() if s.canteen_licence_expires_on >= date(2027, 8, 31)]
    assert len(late) == 31


def test_school_names_are_marked_as_demo() -> None:
    for school in load_schools():
        assert school.name.startswith("示例")
        assert school.canteen_name.startswith("示例")


# Suppliers


def test_there_are_12_suppliers_marked_as_demo() -> None:
    suppliers = load_suppliers()
    assert len(suppliers) == 12
    assert all("示例" in s.name for s in suppliers)


def test_every_supplier_credit_code_passes_both_checks() -> None:
    for supplier in load_suppliers():
        check = validate_credit_code(supplier.credit_code)
        assert check.code == supplier.credit_code
        assert check.inner_ok, supplier.name


def test_supplier_credit_codes_are_unique() -> None:
    codes = [s.credit_code for s in load_suppliers()]
    assert len(set(codes)) == len(codes)


def test_suppliers_include_enterprises_an_individual_and_a_cooperative() -> None:
    categories = Counter(s.credit_code[:2] for s in load_suppliers())
    assert categories["92"] >= 1
    assert categories["93"] >= 1
    assert categories["91"] >= 1


def test_suppliers_are_registered_in_jinan_some_before_2016() -> None:
    regions = {validate_credit_code(s.credit_code).region for s in load_suppliers()}
    assert all(region.startswith("3701") for region in regions)
    assert "370181" in regions
    assert regions - {"370114", "370181"}


def test_edible_agricultural_sellers_hold_no_licence_and_sell_only_such_products_section_2() -> None:
    sellers = [s for s in load_suppliers() if s.kind == "edible_agricultural"]
    assert sellers
    for supplier in sellers:
        assert supplier.licences == (), supplier.name
        assert set(supplier.categories) <= set(get_settings().edible_agricultural_categories), supplier.name


def test_licensed_suppliers_hold_a_licence_or_filing_section_2() -> None:
    for supplier in load_suppliers():
        if supplier.kind == "licensed":
            assert supplier.licences, supplier.name


def test_one_supplier_files_as_a_prepackaged_food_seller_section_2() -> None:
    filings = [lic for s in load_suppliers() for lic in s.licences if lic.kind == "prepackaged_filing"]
    assert len(filings) == 1
    assert filings[0].expires_on is None


def test_every_licence_number_matches_its_kind() -> None:
    for supplier in load_suppliers():
        for licence in supplier.licences:
            parse_licence_number(licence.number, kind=licence.kind)


def test_supplier_licences_run_five_years() -> None:
    for supplier in load_suppliers():
        for licence in supplier.licences:
            if licence.kind == "prepackaged_filing":
                continue
            issued = licence.issued_on
            assert licence.expires_on == issued.replace(year=issued.year + 5) - timedelta(days=1)


def test_supplier_licence_numbers_are_unique() -> None:
    numbers = [licence.number for s in load_suppliers() for licence in s.licences]
    assert len(set(numbers)) == len(numbers)


def test_one_supplier_is_suspended_one_dishonest_and_one_has_an_expired_licence() -> None:
    suppliers = load_suppliers()
    suspended = [s for s in suppliers if s.status == "suspended"]
    dishonest = [s for s in suppliers if s.dishonest]
    expired = [s for s in suppliers if any(lic.expires_on and lic.expires_on < DEMO_TODAY for lic in s.licences)]
    assert len(suspended) == len(dishonest) == len(expired) == 1
    assert len({s.name for s in suspended + dishonest + expired}) == 3
    assert all(s.status_note for s in suspended + dishonest + expired)


def test_suppliers_in_good_standing_are_licensed_through_2027() -> None:
    for supplier in load_suppliers():
        if in_good_standing(supplier, DEMO_TODAY):
            assert all(lic.expires_on is None or lic.expires_on >= date(2027, 8, 31) for lic in supplier.licences)


def test_supplier_categories_are_product_categories() -> None:
    for supplier in load_suppliers():
        assert set(supplier.categories) <= CATEGORIES, supplier.name


def test_dairy_and_soy_suppliers_hold_a_production_licence() -> None:
    for supplier in load_suppliers():
        if {"乳制品", "豆制品"} & set(supplier.categories):
            assert any(lic.kind == "food_production" for lic in supplier.licences)


# Products


def test_there_are_about_60_products_with_unique_codes() -> None:
    products = load_products()
    assert 55 <= len(products) <= 65
    assert len({p.code for p in products}) == len(products)


def test_product_categories_are_within_the_allowed_list() -> None:
    assert {p.category for p in load_products()} == CATEGORIES


def test_storage_is_ambient_chilled_or_frozen() -> None:
    assert {p.storage for p in load_products()} <= {"ambient", "chilled", "frozen"}


def test_every_gtin_is_13_digits_with_a_valid_check_digit() -> None:
    for product in load_products():
        if product.gtin is not None:
            assert len(product.gtin) == 13 and product.gtin.isascii() and product.gtin.isdigit()
            assert gs1_check_digit_ok(product.gtin), product.code


def test_gtins_are_unique_and_use_the_fictional_prefix() -> None:
    gtins = [p.gtin for p in load_products() if p.gtin]
    assert len(set(gtins)) == len(gtins)
    assert all(g.startswith("6970000") for g in gtins)


@pytest.mark.parametrize("category", ["粮食", "食用油", "乳制品", "调味品"])
def test_packaged_categories_carry_a_gtin(category: str) -> None:
    assert all(p.gtin for p in load_products() if p.category == category)


@pytest.mark.parametrize("category", ["肉类", "禽蛋", "水产", "蔬菜", "水果"])
def test_fresh_produce_and_meat_have_no_gtin(category: str) -> None:
    assert all(p.gtin is None for p in load_products() if p.category == category)


def test_edible_farm_produce_needs_a_compliance_certificate_section_5_1() -> None:
    for product in load_products():
        if product.category in {"蔬菜", "水果", "禽蛋"} or product.code == "P-FISH-02":
            assert product.papers == "edible_agricultural", product.code


def test_wild_caught_fish_is_outside_the_compliance_certificate_section_5_1() -> None:
    hairtail = next(p for p in load_products() if p.code == "P-FISH-01")
    assert "海捕" in hairtail.name and hairtail.papers != "edible_agricultural"


def test_pork_needs_two_stamps_two_certificates_and_a_report_section_5_2() -> None:
    for product in load_products():
        if product.code.startswith("P-PORK-"):
            assert product.papers == "pork", product.code


def test_other_meat_needs_an_animal_quarantine_certificate_section_5_2() -> None:
    for product in load_products():
        if product.category == "肉类" and not product.code.startswith("P-PORK-"):
            assert product.papers == "meat", product.code


def test_processed_foods_need_a_batch_inspection_report_section_3_5() -> None:
    for product in load_products():
        if product.category in {"粮食", "食用油", "乳制品", "豆制品", "调味品"}:
            assert product.papers == "processed", product.code


def test_chilled_pork_declares_0_to_4_degrees_section_6() -> None:
    for product in load_products():
        if product.code.startswith("P-PORK-") and product.storage == "chilled":
            assert (product.storage_min_celsius, product.storage_max_celsius) == (0, 4), product.code


def test_frozen_goods_declare_minus_18_section_6() -> None:
    for product in load_products():
        if product.storage == "frozen":
            assert product.storage_max_celsius == -18, product.code


def test_vegetables_and_fruit_get_the_pesticide_rapid_test() -> None:
    for product in load_products():
        if product.category in {"蔬菜", "水果"}:
            assert product.rapid_test == "pesticide_enzyme_inhibition", product.code


def test_pesticide_rapid_test_is_only_for_vegetables_and_fruit() -> None:
    for product in load_products():
        if product.rapid_test == "pesticide_enzyme_inhibition":
            assert product.category in {"蔬菜", "水果"}, product.code


def test_clenbuterol_test_is_only_for_pork_beef_and_mutton() -> None:
    tested = {p.code for p in load_products() if p.rapid_test == "clenbuterol"}
    assert tested
    assert all(code.startswith(("P-PORK-", "P-BEEF-", "P-MUTTON-")) for code in tested)
    assert all(
        p.rapid_test == "clenbuterol"
        for p in load_products()
        if p.code.startswith(("P-PORK-", "P-BEEF-", "P-MUTTON-"))
    )


def test_package_conversions_are_positive_decimals() -> None:
    for product in load_products():
        for unit, factor in product.conversions.items():
            assert isinstance(factor, Decimal) and factor > 0, (product.code, unit)
            assert unit != product.unit


def test_decimal_pack_sizes_are_read_exactly() -> None:
    soy_sauce = next(p for p in load_products() if p.code == "P-SOY-01")
    assert soy_sauce.conversions["瓶"] == Decimal("1.9")


def test_shelf_lives_are_positive() -> None:
    assert all(p.shelf_life_days > 0 for p in load_products())


def test_every_product_has_a_supplier_in_good_standing() -> None:
    covered = {
        category
        for supplier in load_suppliers()
        if in_good_standing(supplier, DEMO_TODAY)
        for category in supplier.categories
    }
    for product in load_products():
        assert product.category in covered, product.code


def test_the_local_zhangqiu_scallion_is_in_the_catalogue() -> None:
    assert any(p.name == "章丘大葱" for p in load_products())
