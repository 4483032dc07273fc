"""统一社会信用代码 rules, as in docs/domain.md §1."""

from __future__ import annotations

import pytest

from suppliers.credit_code import (
    CHARSET,
    credit_code_check_character,
    make_credit_code,
    normalize_credit_code,
    organisation_code_check_character,
    validate_credit_code,
)
from trace.errors import Invalid

# domain.md §1.3: real codes verified by both checks (test data only).
REAL_CODES = [
    "914403001922038216",
    "91520000214434146R",
    "91110000600037341L",
    "91110000710926094P",
    "91310115MA1K3BTP2B",
    "121200004013590816",
]

# domain.md §1.3: codes from public mock data whose 18th character is wrong.
KNOWN_BAD_CODES = [
    "91110108717809965C",
    "9133010057462616XH",
    "91110000800088421P",
    "914403001870826678",
]


def reason_of(value: str) -> str:
    with pytest.raises(Invalid) as caught:
        validate_credit_code(value)
    assert caught.value.code == "invalid_credit_code"
    assert caught.value.status == 422
    reason: str = caught.value.details["reason"]
    return reason


@pytest.mark.parametrize("code", REAL_CODES)
def test_verified_real_codes_pass_both_checks(code: str) -> None:
    check = validate_credit_code(code)
    assert check.code == code
    assert check.inner_ok


@pytest.mark.parametrize("code", KNOWN_BAD_CODES)
def test_known_bad_mock_codes_are_refused(code: str) -> None:
    assert reason_of(code) == "check_character"


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_substitution_is_caught(code: str) -> None:
    for position, original in enumerate(code):
        for replacement in CHARSET:
            if replacement == original:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(Invalid):
                validate_credit_code(altered)


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_adjacent_transposition_is_caught(code: str) -> None:
    for position in range(17):
        if code[position] == code[position + 1]:
            continue
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        with pytest.raises(Invalid):
            validate_credit_code(swapped)


def test_check_character_is_zero_when_the_weighted_sum_divides_by_31() -> None:
    first17 = "91110000600037341"
    assert credit_code_check_character(first17) == "L"
    # Shift the 17th character (weight 28) until the sum is a multiple of 31.
    zero_sum = next(
        first17[:16] + c
        for c in CHARSET
        if sum(CHARSET.index(x) * pow(3, i, 31) for i, x in enumerate(first17[:16] + c)) % 31 == 0
    )
    assert credit_code_check_character(zero_sum) == "0"


def test_full_width_input_is_normalized() -> None:
    assert normalize_credit_code("９１４４０３００１９２２０３８２１６") == "914403001922038216"


def test_spaces_hyphens_and_lower_case_are_normalized() -> None:
    assert normalize_credit_code(" 91310115-ma1k3btp2b\u3000") == "91310115MA1K3BTP2B"


def test_full_width_code_with_separators_validates_to_its_normalized_form() -> None:
    check = validate_credit_code("９１３１０１１５－ｍａ１ｋ ３ｂｔｐ２ｂ")
    assert check.code == "91310115MA1K3BTP2B"


def test_wrong_length_is_refused() -> None:
    assert reason_of("91110000600037341") == "length"
    assert reason_of("91110000600037341LL") == "length"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_31_character_set_are_refused(letter: str) -> None:
    assert reason_of("91310115MA1K3BTP2" + letter) == "charset"


def test_circled_digits_are_not_read_as_digits() -> None:
    assert reason_of("①1110000600037341L") == "charset"


def test_non_digit_region_is_refused() -> None:
    first17 = "9137A114000001011"
    assert reason_of(first17 + credit_code_check_character(first17)) == "region"


def test_farmer_cooperative_93_codes_are_accepted() -> None:
    check = validate_credit_code(make_credit_code("93", "370114", "00000201"))
    assert check.category_zh == "农民专业合作社"


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("N1", "组级集体经济组织"),
        ("N3", "乡镇级集体经济组织"),
        ("A1", "军队事业单位"),
        ("Y1", "其他"),
    ],
)
def test_letter_department_codes_are_accepted(category: str, expected: str) -> None:
    check = validate_credit_code(make_credit_code(category, "370114", "00000301"))
    assert check.category_zh == expected


def test_individual_business_and_public_institution_are_described() -> None:
    assert validate_credit_code(make_credit_code("92", "370114", "00000401")).category_zh == (
        "个体工商户"
    )
    check = validate_credit_code("121200004013590816")
    assert (check.department_zh, check.category_zh) == ("机构编制", "事业单位")


@pytest.mark.parametrize("first_two", ["00", "10", "94", "B1", "N4", "Y2", "A5", "99"])
def test_first_two_characters_must_be_a_category_of_section_1_2(first_two: str) -> None:
    first17 = first_two + "370114" + "00000101" + organisation_code_check_character("00000101")
    assert reason_of(first17 + credit_code_check_character(first17)) == "category"


@pytest.mark.parametrize("code", ["000000000000000000", "B1370114000001011C"])
def test_codes_that_once_passed_are_refused_by_category_section_1_2(code: str) -> None:
    first17 = code[:17]
    assert reason_of(first17 + credit_code_check_character(first17)) == "category"


@pytest.mark.parametrize("region", ["370199", "379914", "000000", "990000", "371299"])
def test_region_must_be_a_gb_t_2260_division_section_1_1(region: str) -> None:
    first17 = "91" + region + "00000101" + organisation_code_check_character("00000101")
    assert reason_of(first17 + credit_code_check_character(first17)) == "region"


@pytest.mark.parametrize(
    ("region", "name"),
    [
        ("370114", "山东省济南市章丘区"),
        ("370100", "山东省济南市"),
        ("370000", "山东省"),
        ("310115", "上海市浦东新区"),
        ("110100", "北京市"),
        ("429004", "湖北省仙桃市"),
    ],
)
def test_platform_names_the_area_a_code_was_registered_in_section_1_1(region: str, name: str) -> None:
    assert validate_credit_code(make_credit_code("91", region, "00000801")).region_zh == name


def test_withdrawn_zhangqiu_city_code_names_its_successor_section_7() -> None:
    check = validate_credit_code(make_credit_code("91", "370181", "00000801"))
    assert check.region_zh == "山东省济南市章丘市（已撤销，今章丘区）"


def test_unlisted_category_is_accepted_without_a_description() -> None:
    check = validate_credit_code(make_credit_code("61", "370114", "00000501"))
    assert check.department_zh == "旅游"
    assert check.category_zh is None


def test_region_and_organisation_code_are_reported() -> None:
    check = validate_credit_code("91310115MA1K3BTP2B")
    assert check.region == "310115"
    assert check.organisation_code == "MA1K3BTP2"
    assert check.category_code == "91"


@pytest.mark.parametrize("region", ["370114", "370181"])
def test_both_zhangqiu_region_codes_count_as_zhangqiu(region: str) -> None:
    assert validate_credit_code(make_credit_code("91", region, "00000601")).in_zhangqiu


def test_other_jinan_district_is_not_zhangqiu() -> None:
    assert not validate_credit_code(make_credit_code("91", "370112", "00000601")).in_zhangqiu


def test_inner_check_failure_only_warns() -> None:
    body = "00000701"
    good_inner = organisation_code_check_character(body)
    wrong_inner = next(c for c in "0123456789X" if c != good_inner)
    code = make_credit_code("91370114" + body + wrong_inner)
    check = validate_credit_code(code)
    assert check.code == code
    assert not check.inner_ok


def test_inner_check_maps_ten_to_x_and_eleven_to_zero() -> None:
    # Σ weights × values ≡ 1 (mod 11) gives 10 → X; ≡ 0 gives 11 → 0.
    assert organisation_code_check_character("00000006") == "X"
    assert organisation_code_check_character("00000000") == "0"


def test_make_credit_code_appends_the_check_character() -> None:
    assert make_credit_code("91110000600037341") == "91110000600037341L"


def test_make_credit_code_from_parts_passes_both_checks() -> None:
    code = make_credit_code("91", "370114", "MA000001")
    check = validate_credit_code(code)
    assert check.inner_ok
    assert code[:16] == "91370114MA000001"


def test_make_credit_code_refuses_a_non_digit_region() -> None:
    with pytest.raises(Invalid):
        make_credit_code("91", "37011A", "00000001")


def test_check_character_needs_17_characters_from_the_set() -> None:
    with pytest.raises(Invalid):
        credit_code_check_character("9111000060003734")
    with pytest.raises(Invalid):
        credit_code_check_character("9111000060003734I")


# --- every refusal says what is wrong, in both languages, with the value and a reason -----------

@pytest.mark.parametrize("call,args,zh,en,details", [
    (credit_code_check_character, ("9137011400000000",), "计算校验码需要 17 位代码字符集内的字符",
     "The check character needs 17 characters from the code character set",
     {"value": "9137011400000000", "reason": "check_input"}),
    (organisation_code_check_character, ("0000000",), "组织机构代码本体应为 8 位数字或大写字母",
     "An organisation-code body is 8 digits or capital letters", {"value": "0000000", "reason": "organisation_body"}),
    (validate_credit_code, ("91370114000",), "统一社会信用代码应为 18 位，实际为 11 位",
     "A unified social credit code has 18 characters, got 11", {"value": "91370114000", "reason": "length"}),
    (validate_credit_code, ("91370114MA1K3BTPIO",), "统一社会信用代码含有不允许的字符：IO（不使用 I、O、S、V、Z）",
     "The credit code contains characters outside its set: IO (I, O, S, V and Z are never used)",
     {"value": "91370114MA1K3BTPIO", "reason": "charset"}),
    (validate_credit_code, ("9137A114MA1K3BTP2B",), "统一社会信用代码第 3–8 位（行政区划码）应全为数字",
     "Characters 3–8 of a credit code (the region code) must be digits",
     {"value": "9137A114MA1K3BTP2B", "reason": "region"}),
    (validate_credit_code, ("91110108717809965C",), "统一社会信用代码校验码不正确，请核对是否有错字或颠倒",
     "The credit code's check character is wrong; look for a mistyped or swapped character",
     {"value": "91110108717809965C", "reason": "check_character"}),
    (make_credit_code, ("9", "370114", "HALF0002"), "需要 2 位登记管理部门/机构类别码和 6 位数字行政区划码",
     "Needs a 2-character category and a 6-digit region code", {"value": "9370114", "reason": "make_input"}),
])
def test_each_refusal_names_its_fault_in_both_languages(call, args, zh, en, details) -> None:
    with pytest.raises(Invalid) as refused:
        call(*args)
    assert (refused.value.code, refused.value.zh, refused.value.en, refused.value.details) == (
        "invalid_credit_code", zh, en, details)


@pytest.mark.parametrize("code", REAL_CODES)
def test_the_organisation_code_inside_a_real_code_checks(code: str) -> None:
    assert organisation_code_check_character(code[8:16]) == code[16]


@pytest.mark.parametrize("body,check", [
    ("D2143569", "X"),  # GB 11714's own example, D2143569-X
    ("00000001", "9"), ("00000005", "1"), ("0000000A", "2"), ("A0000000", "3"), ("12345678", "8"),
])
def test_organisation_code_check_characters(body: str, check: str) -> None:
    assert organisation_code_check_character(body) == check


@pytest.mark.parametrize("body", ["0000000", "000000000", "0000000a", "0000000-", "０0000000", "0000000:",
                                  "000000@0", "0000000["])
def test_an_organisation_body_is_8_digits_or_capitals(body: str) -> None:
    with pytest.raises(Invalid) as refused:
        organisation_code_check_character(body)
    assert refused.value.details["reason"] == "organisation_body"


@pytest.mark.parametrize("first,region", [("9", "370114"), ("911", "370114"), ("91", "37011"),
                                          ("91", "3701140"), ("91", "37011A")])
def test_make_credit_code_needs_a_2_character_category_and_6_digit_region(first: str, region: str) -> None:
    with pytest.raises(Invalid) as refused:
        make_credit_code(first, region, "HALF0002")
    assert refused.value.details == {"value": first + region, "reason": "make_input"}


def test_make_credit_code_from_parts_is_known() -> None:
    assert make_credit_code("91", "370114", "HALF0002") == "91370114HALF000299"
    assert make_credit_code("91370114HALF00029") == "91370114HALF000299"


@pytest.mark.parametrize("args", [("91", "370114"), ("91", None, "HALF0002")])
def test_make_credit_code_takes_first17_or_all_three_parts(args) -> None:
    with pytest.raises(TypeError, match="^make_credit_code takes either first17 or category, region, org_body8$"):
        make_credit_code(*args)


def test_the_first_and_last_digits_and_capitals_are_organisation_characters() -> None:
    assert (organisation_code_check_character("A000000Z"), organisation_code_check_character("9000000Z")) == ("X", "2")
