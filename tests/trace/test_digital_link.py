"""GS1 Digital Link URIs: check digits, lots, and agreement with an independent parser (biip)."""

from __future__ import annotations

from datetime import date

import biip
import pytest

from trace.digital_link import (
    DigitalLinkKey, assign_gtin, build_digital_link, gtin_check_digit, normalize_gtin, normalize_lot,
    parse_digital_link,
)
from trace.errors import Invalid

BASE = "https://trace.zhangqiu.example"


@pytest.mark.parametrize("gtin", ["09506000134352", "4006381333931", "96385074", "036000291452"])
def test_known_gtins_have_valid_check_digits(gtin):
    assert gtin_check_digit(gtin[:-1]) == gtin[-1]
    assert normalize_gtin(gtin) == gtin.zfill(14)


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(Invalid) as refused:
        normalize_gtin("4006381333932")
    assert refused.value.code == "invalid_gtin"


def test_assigned_gtins_come_from_the_company_prefix_with_a_valid_check_digit():
    gtin = assign_gtin("6970000", 42)
    assert gtin.startswith("06970000") and len(gtin) == 14
    assert normalize_gtin(gtin) == gtin
    assert assign_gtin("6970000", 43) != gtin


def test_the_item_reference_must_fit_under_the_prefix():
    with pytest.raises(Invalid):
        assign_gtin("6970000", 100_000)


@pytest.mark.parametrize("lot", ["A" * 21, "批次1", "AB 12", "", "AB#1"])
def test_lots_outside_gs1_character_set_82_or_over_20_characters_are_refused(lot):
    with pytest.raises(Invalid) as refused:
        normalize_lot(lot)
    assert refused.value.code == "invalid_lot"


def test_characters_a_uri_cannot_carry_are_percent_encoded():
    uri = build_digital_link(BASE, "6970000000116", 'A/B%C"?')
    assert uri == f"{BASE}/01/06970000000116/10/A%2FB%25C%22%3F"


@pytest.mark.parametrize("lot", ["MS251101A", "AB/12", "x-1.2_3", "50%OFF", "(A)*+,;:=<>!'&"])
def test_every_uri_we_build_is_accepted_by_biip_and_names_the_same_batch(lot):
    uri = build_digital_link(BASE, "6970000000116", lot, expiry=date(2026, 10, 31), production=date(2025, 11, 1))
    parsed = biip.parse(uri).gs1_digital_link_uri
    assert parsed is not None, uri
    values = {element.ai.ai: element.value for element in parsed.element_strings}
    assert values["01"] == "06970000000116"
    assert values["10"] == lot
    assert values["17"] == "261031" and values["11"] == "251101"


def test_parse_inverts_build():
    key = DigitalLinkKey("06970000000116", "AB/12", date(2025, 11, 1), date(2026, 10, 31))
    uri = build_digital_link(BASE, key.gtin14, key.lot, production=key.production, expiry=key.expiry)
    assert parse_digital_link(uri) == key


def test_equivalent_spellings_parse_to_the_same_key():
    canonical = parse_digital_link("/01/06970000000116/10/AB%2F12")
    assert parse_digital_link("/01/6970000000116/10/AB%2F12") == canonical
    assert parse_digital_link(f"{BASE}/01/06970000000116/10/%41B%2f12") == canonical


@pytest.mark.parametrize("path", ["/01/06970000000116", "/01/06970000000116/21/1/10/A", "/10/A/01/06970000000116",
                                  "/00/123", "/01/06970000000116/10/A/21/9"])
def test_other_shapes_are_refused(path):
    with pytest.raises(Invalid):
        parse_digital_link(path)
