"""GS1 Digital Link URIs: check digits, lots, percent-encoding, and agreement with an
independent parser (biip)."""

from __future__ import annotations

import random
import re
from datetime import date
from urllib.parse import quote

import biip
import pytest

from trace.digital_link import (
    DigitalLinkKey,
    assign_gtin,
    build_digital_link,
    gtin_check_digit,
    normalize_gtin,
    normalize_lot,
    parse_digital_link,
)
from trace.errors import Invalid

BASE = "https://trace.zhangqiu.example"
GTIN = "06970000000116"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
SYMBOLS = "".join(c for c in CSET82 if not c.isalnum())


def refusal(call, *args) -> str:
    with pytest.raises(Invalid) as refused:
        call(*args)
    assert refused.value.zh and refused.value.en
    return refused.value.code


# --- GTINs ---------------------------------------------------------------------


def test_character_set_82_has_82_characters():
    assert len(set(CSET82)) == 82


@pytest.mark.parametrize("gtin", ["09506000134352", "4006381333931", "96385074", "036000291452"])
def test_known_gtins_have_valid_check_digits(gtin):
    assert gtin_check_digit(gtin[:-1]) == gtin[-1]


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "04006381333931"])
def test_gtin_8_12_and_13_are_padded_to_14_digits(gtin):
    assert normalize_gtin(gtin) == gtin.zfill(14)


def test_spaces_inside_a_gtin_are_ignored():
    assert normalize_gtin(" 400 6381 33393 1 ") == "04006381333931"


def test_a_wrong_check_digit_is_refused():
    assert refusal(normalize_gtin, "4006381333932") == "invalid_gtin"


@pytest.mark.parametrize("value", [
    "", "400638133393", "1234567", "123456789012345", "40063813339３1", "4006381333931x",
])
def test_gtins_of_the_wrong_length_or_with_non_digits_are_refused(value):
    assert refusal(normalize_gtin, value) == "invalid_gtin"


@pytest.mark.parametrize("value", ["17", "1234565", "123456784", "1234567895", "12345678905", "123456789012343"])
def test_a_gtin_of_the_wrong_length_is_refused_even_with_a_valid_check_digit(value):
    assert gtin_check_digit(value[:-1]) == value[-1]  # only the length is wrong
    with pytest.raises(Invalid) as refused:
        normalize_gtin(value)
    assert (refused.value.code, refused.value.en) == (
        "invalid_gtin", f"GTIN {value!r} must be 8, 12, 13 or 14 digits")


def test_a_wrong_check_digit_is_refused_with_its_own_message():
    with pytest.raises(Invalid) as refused:
        normalize_gtin("4006381333932")
    assert refused.value.en == "GTIN '4006381333932' has a wrong check digit"


@pytest.mark.parametrize("body,digit", [("0", "0"), ("1", "7"), ("9", "3"), ("0950600013435", "2"),
                                        ("10", "9"), ("100", "7")])
def test_check_digits_weigh_three_from_the_rightmost_digit(body, digit):
    assert gtin_check_digit(body) == digit


def test_assigned_gtins_are_gtin13_under_the_company_prefix_with_a_valid_check_digit():
    gtin = assign_gtin("6970000", 42)
    assert gtin == "0" + "6970000" + "00042" + gtin[-1]
    assert normalize_gtin(gtin) == gtin


def test_assigned_gtins_differ_per_item_reference():
    assert len({assign_gtin("6970000", n) for n in range(1, 200)}) == 199


def test_a_longer_prefix_leaves_fewer_item_references():
    assert assign_gtin("6970000123", 99)[:-1] == "0697000012399"
    assert refusal(assign_gtin, "6970000123", 100) == "gtin_range_exhausted"


def test_the_item_reference_must_fit_under_the_prefix():
    assert refusal(assign_gtin, "6970000", 100_000) == "gtin_range_exhausted"


@pytest.mark.parametrize("prefix", ["697000", "69700001234", "69700a0"])
def test_a_company_prefix_must_be_7_to_10_digits(prefix):
    assert refusal(assign_gtin, prefix, 1) == "invalid_company_prefix"


# --- lots ----------------------------------------------------------------------


def test_every_character_of_set_82_is_a_valid_lot_character():
    for start in range(0, len(CSET82), 20):
        assert normalize_lot(CSET82[start:start + 20]) == CSET82[start:start + 20]


@pytest.mark.parametrize("lot", [
    "A" * 21, "", "批次1", "AB 12", "AB#1", "A~1", "A@1", "A\\1", "A[1]", "A$1", "Ａ1",
])
def test_lots_outside_character_set_82_or_over_20_characters_are_refused(lot):
    assert refusal(normalize_lot, lot) == "invalid_lot"


def test_a_20_character_lot_is_accepted():
    assert normalize_lot("ABCDEFGHIJ0123456789") == "ABCDEFGHIJ0123456789"


# --- building --------------------------------------------------------------------


def test_a_link_is_the_base_then_gtin14_then_lot():
    assert build_digital_link(BASE, "6970000000116", "MS251101A") == f"{BASE}/01/{GTIN}/10/MS251101A"


@pytest.mark.parametrize("base", [BASE + "/", BASE + "/dl", BASE + "/dl/"])
def test_the_base_url_may_end_in_a_slash_or_carry_a_path(base):
    assert build_digital_link(base, GTIN, "A1") == base.rstrip("/") + f"/01/{GTIN}/10/A1"


@pytest.mark.parametrize("base", ["trace.zhangqiu.example", "ftp://x.example", BASE + "?a=1"])
def test_a_base_url_that_is_not_http_without_query_is_a_configuration_error(base):
    with pytest.raises(ValueError):
        build_digital_link(base, GTIN, "A1")


def test_dates_go_in_the_query_production_11_before_expiry_17():
    uri = build_digital_link(BASE, GTIN, "A1", expiry=date(2026, 10, 31), production=date(2025, 11, 1))
    assert uri == f"{BASE}/01/{GTIN}/10/A1?11=251101&17=261031"


def test_characters_a_uri_cannot_carry_are_percent_encoded():
    uri = build_digital_link(BASE, GTIN, 'A/B%C"?')
    assert uri == f"{BASE}/01/{GTIN}/10/A%2FB%25C%22%3F"


@pytest.mark.parametrize("symbol", list(SYMBOLS))
def test_only_letters_digits_hyphen_dot_and_underscore_stay_literal_in_a_lot(symbol):
    segment = build_digital_link(BASE, GTIN, f"A{symbol}1").rsplit("/", 1)[1]
    expected = f"A{symbol}1" if symbol in "-._" else f"A%{ord(symbol):02X}1"
    assert segment == expected


def test_a_lot_with_a_space_is_refused_rather_than_encoded():
    assert refusal(build_digital_link, BASE, GTIN, "AB 1") == "invalid_lot"


# --- parsing ---------------------------------------------------------------------


def test_parse_inverts_build():
    key = DigitalLinkKey(GTIN, "AB/12%", date(2025, 11, 1), date(2026, 10, 31))
    uri = build_digital_link(BASE, key.gtin14, key.lot, production=key.production, expiry=key.expiry)
    assert parse_digital_link(uri) == key


def test_a_resolver_can_parse_the_raw_path_and_query():
    assert parse_digital_link(f"/01/{GTIN}/10/AB%2F12?17=261031&linkType=all") == DigitalLinkKey(
        GTIN, "AB/12", None, date(2026, 10, 31))


def test_the_base_path_before_01_is_ignored():
    assert parse_digital_link(f"{BASE}/dl/01/{GTIN}/10/A1").lot == "A1"


def test_padded_and_unpadded_gtins_name_the_same_batch():
    assert parse_digital_link(f"/01/{GTIN[1:]}/10/A1") == parse_digital_link(f"/01/{GTIN}/10/A1")


def test_percent_encoded_and_literal_spellings_of_a_lot_name_the_same_batch():
    canonical = parse_digital_link(f"/01/{GTIN}/10/A-1%21")
    assert parse_digital_link(f"/01/{GTIN}/10/%41%2D1!") == canonical
    assert parse_digital_link(f"/01/{GTIN}/10/%41%2d1%21") == canonical


def test_dates_in_either_order_parse_the_same():
    first = parse_digital_link(f"/01/{GTIN}/10/A1?17=261031&11=251101")
    assert first == parse_digital_link(f"/01/{GTIN}/10/A1?11=251101&17=261031")


def test_day_00_means_the_last_day_of_the_month():
    assert parse_digital_link(f"/01/{GTIN}/10/A1?17=280200").expiry == date(2028, 2, 29)


@pytest.mark.parametrize("query", ["17=261331", "17=260230", "11=2511", "11=25110A"])
def test_impossible_or_malformed_dates_are_refused(query):
    assert refusal(parse_digital_link, f"/01/{GTIN}/10/A1?{query}") == "invalid_digital_link"


@pytest.mark.parametrize("path", [
    f"/01/{GTIN}", f"/01/{GTIN}/10", f"/01/{GTIN}/21/1/10/A", f"/01/{GTIN}/22/V1/10/A",
    f"/10/A/01/{GTIN}",
    "/00/123456789012345675", f"/01/{GTIN}/10/A/21/9", "/", "https://trace.zhangqiu.example/batch/7",
])
def test_shapes_other_than_gtin_then_lot_are_refused(path):
    assert refusal(parse_digital_link, path) == "invalid_digital_link"


def test_a_bad_check_digit_in_a_link_is_an_invalid_gtin():
    assert refusal(parse_digital_link, "/01/06970000000117/10/A1") == "invalid_gtin"


@pytest.mark.parametrize("segment", ["%E6%89%B9", "A%20B", "A%7E"])
def test_a_lot_that_decodes_outside_character_set_82_is_refused(segment):
    assert refusal(parse_digital_link, f"/01/{GTIN}/10/{segment}") == "invalid_lot"


@pytest.mark.parametrize("segment", ["A%ZZ", "A%2", "%"])
def test_a_percent_sign_that_starts_no_escape_is_refused(segment):
    assert refusal(parse_digital_link, f"/01/{GTIN}/10/{segment}") == "invalid_digital_link"


# --- agreement with biip -----------------------------------------------------------


def biip_reading(uri: str) -> dict[str, str]:
    parsed = biip.parse(uri).gs1_digital_link_uri
    assert parsed is not None, uri
    return {element.ai.ai: element.value for element in parsed.element_strings}


def sample_lots() -> list[str]:
    chance = random.Random(82)
    lots = [SYMBOLS[i:i + 20] for i in range(0, len(SYMBOLS), 20)]
    lots += ["".join(chance.choices(CSET82, k=chance.randint(1, 20))) for _ in range(200)]
    return lots


@pytest.mark.parametrize("lot", ["MS251101A", "AB/12", "x-1.2_3", "50%OFF", "(A)*+,;:=<>!'&", '"?"'])
def test_every_uri_we_build_is_accepted_by_biip_and_names_the_same_batch(lot):
    uri = build_digital_link(BASE, GTIN, lot, expiry=date(2026, 10, 31), production=date(2025, 11, 1))
    assert biip_reading(uri) == {"01": GTIN, "10": lot, "11": "251101", "17": "261031"}


def test_biip_and_our_parser_agree_on_two_hundred_random_lots():
    for lot in sample_lots():
        uri = build_digital_link(BASE, "9506000134352", lot)
        assert biip_reading(uri) == {"01": "09506000134352", "10": lot}
        assert parse_digital_link(uri) == DigitalLinkKey("09506000134352", lot)


def test_our_uris_use_the_same_encoding_as_biips_canonical_form():
    for lot in sample_lots()[:50]:
        ours = build_digital_link("https://id.gs1.org", GTIN, lot)
        canonical = biip.parse(ours).gs1_digital_link_uri.as_canonical_uri()
        assert ours == canonical


def test_encoded_lot_segments_hold_only_unreserved_characters_and_escapes():
    for lot in sample_lots():
        segment = build_digital_link(BASE, GTIN, lot).rsplit("/", 1)[1]
        assert re.fullmatch(r"(?:[A-Za-z0-9._-]|%[0-9A-F]{2})+", segment), segment
        assert segment == quote(lot, safe="-._")


# --- every refusal says what is wrong, in both languages, with the value it refused --------------

@pytest.mark.parametrize("call,args,zh,en,details", [
    (gtin_check_digit, ("12a",), "GTIN 只能由数字组成", "A GTIN holds digits only", {"value": "12a"}),
    (normalize_gtin, ("1234565",), "GTIN“1234565”须为 8、12、13 或 14 位数字",
     "GTIN '1234565' must be 8, 12, 13 or 14 digits", {"value": "1234565"}),
    (normalize_gtin, ("4006381333932",), "GTIN“4006381333932”的校验位不正确",
     "GTIN '4006381333932' has a wrong check digit", {"value": "4006381333932"}),
    (assign_gtin, ("697000", 1), "GS1 厂商识别代码须为 7–10 位数字", "The GS1 company prefix must be 7–10 digits",
     {"prefix": "697000"}),
    (assign_gtin, ("6970000", 100000), "商品项目代码 100000 超出厂商识别代码 6970000 的 5 位范围",
     "Item reference 100000 does not fit the 5 digits left by company prefix 6970000",
     {"company_prefix": "6970000", "item_reference": 100000}),
    (normalize_lot, ("A B",),
     "批号“A B”须为 1–20 个字符，只能使用字母、数字和 GS1 允许的符号（不能有空格或中文）",
     "Lot 'A B' must be 1–20 characters from GS1 character set 82 (letters, digits and some symbols; "
     "no spaces or Chinese)", {"lot": "A B"}),
    (parse_digital_link, ("/01/04006381333931/21/A",), "不是有效的 GS1 数字链接：须为 …/01/{GTIN}/10/{批号}",
     "Not a valid GS1 Digital Link: expected …/01/{GTIN}/10/{lot}", {"path": "/01/04006381333931/21/A"}),
    (parse_digital_link, ("/01/04006381333931/10/A%2",), "不是有效的 GS1 数字链接：批号中的 % 必须是百分号编码",
     "Not a valid GS1 Digital Link: a % in the lot must start a percent-escape", {"lot": "A%2"}),
    (parse_digital_link, ("/01/04006381333931/10/A?17=2501",), "不是有效的 GS1 数字链接：日期属性 17 须为 YYMMDD",
     "Not a valid GS1 Digital Link: date attribute 17 must be YYMMDD", {"value": "2501"}),
    (parse_digital_link, ("/01/04006381333931/10/A?11=25013",), "不是有效的 GS1 数字链接：日期属性 11 须为 YYMMDD",
     "Not a valid GS1 Digital Link: date attribute 11 must be YYMMDD", {"value": "25013"}),
    (parse_digital_link, ("/01/04006381333931/10/A?11=250231",), "不是有效的 GS1 数字链接：日期 250231 不存在",
     "Not a valid GS1 Digital Link: date 250231 does not exist", {"value": "250231"}),
])
def test_each_refusal_names_its_fault_in_both_languages(call, args, zh, en, details):
    with pytest.raises(Invalid) as refused:
        call(*args)
    assert (refused.value.zh, refused.value.en, refused.value.details) == (zh, en, details)
    assert refused.value.code == {gtin_check_digit: "invalid_gtin", normalize_gtin: "invalid_gtin",
                                  normalize_lot: "invalid_lot", parse_digital_link: "invalid_digital_link",
                                  }.get(call, refused.value.code)


@pytest.mark.parametrize("prefix,reference,gtin", [
    ("6970000", 0, "06970000000000"), ("6970000", 99999, "06970000999991"), ("6970000123", 99, "06970000123990"),
])
def test_assigned_gtins_fill_every_item_reference_from_zero_to_the_last(prefix, reference, gtin):
    assert assign_gtin(prefix, reference) == gtin
    assert normalize_gtin(gtin) == gtin


def test_an_item_reference_below_zero_is_refused():
    assert refusal(assign_gtin, "6970000", -1) == "gtin_range_exhausted"


def test_refused_company_prefixes_and_item_references_have_their_own_codes():
    assert refusal(assign_gtin, "697000", 1) == "invalid_company_prefix"
    assert refusal(assign_gtin, "6970000", 100000) == "gtin_range_exhausted"


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "https://trace.example/QX", "https://trace.example/QX//"])
def test_a_base_keeps_its_scheme_and_path_and_loses_only_trailing_slashes(base):
    link = build_digital_link(base, "04006381333931", "A1")
    assert link == base.rstrip("/") + "/01/04006381333931/10/A1"


def test_a_bad_base_url_is_named_in_the_configuration_error():
    with pytest.raises(ValueError, match=r"^resolver base URL must be http\(s\)://host\[/path\], got 'ftp://x'$"):
        build_digital_link("ftp://x", "04006381333931", "A1")
