"""统一社会信用代码 (unified social credit code, GB 32100-2015).

Layout (docs/domain.md §1.1): 登记管理部门码 (1) + 机构类别码 (1) + 行政区划码 (6 digits)
+ 主体标识码 = GB 11714 organisation code (8-character body + its own check character)
+ the GB 32100 check character (1).

Only the 18th character is required by GB 32100, so a wrong 18th character is refused while
a failing inner GB 11714 check is kept as a warning for manual review (``inner_ok``, §1.1).
The first two characters must be a department and category pair that §1.2 lists — all of
them, including ``N1…``, ``A1…``, ``Y1…`` and ``93…``, which over-strict public regexes
reject — and characters 3–8 a GB/T 2260 division (``suppliers.regions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from suppliers.regions import region_of
from trace.errors import Invalid

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_INNER_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS = frozenset("0123456789")

# Full-width forms (U+FF01–U+FF5E) sit exactly 0xFEE0 above ASCII; U+3000 is the ideographic
# space. An explicit table rather than NFKC, which would also turn ① or ² into digits.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")

DEPARTMENTS_ZH: dict[str, str] = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商（市场监管）",
    "A": "军队编制部门",
    "N": "农业",
    "Y": "其他",
}

# Categories from domain.md §1.2 (V2): the only first-two-character pairs a code may start with.
# The table lists 61 and 62 without a name; they are valid, shown by their department only.
CATEGORIES_ZH: dict[str, str | None] = {
    "11": "机关",
    "12": "事业单位",
    "13": "编办直接管理机构编制的群众团体",
    "19": "其他",
    "21": "外国常驻新闻机构",
    "29": "其他",
    "31": "律师执业机构",
    "32": "公证处",
    "33": "基层法律服务所",
    "34": "司法鉴定机构",
    "35": "仲裁委员会",
    "39": "其他",
    "41": "外国在华文化中心",
    "49": "其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "其他",
    "61": None,
    "62": None,
    "69": "其他",
    "71": "宗教活动场所",
    "72": "宗教院校",
    "79": "其他",
    "81": "基层工会",
    "89": "其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
    "A1": "军队事业单位",
    "A9": "其他",
    "N1": "组级集体经济组织",
    "N2": "村级集体经济组织",
    "N3": "乡镇级集体经济组织",
    "N9": "其他",
    "Y1": "其他",
}

# 章丘区 is 370114; firms registered before the 2016 change from 章丘市 may still carry 370181.
ZHANGQIU_REGIONS = frozenset({"370114", "370181"})


@dataclass(frozen=True)
class CreditCodeCheck:
    """A credit code whose 18th character is right, with what it says about the holder."""

    code: str
    department_zh: str
    category_zh: str | None
    region: str
    # Where the code was registered, as GB/T 2260 names it (山东省济南市章丘区).
    region_zh: str
    organisation_code: str
    inner_ok: bool

    @property
    def category_code(self) -> str:
        return self.code[:2]

    @property
    def in_zhangqiu(self) -> bool:
        return self.region in ZHANGQIU_REGIONS


def normalize_credit_code(value: str) -> str:
    """Full-width to half-width, drop spaces and hyphens, upper-case."""
    half = value.translate(_HALF_WIDTH)
    return "".join(c for c in half if not c.isspace() and c not in _SEPARATORS).upper()


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 18th character for the first 17 (already normalized) characters."""
    if len(first17) != 17 or any(c not in _VALUES for c in first17):
        raise Invalid(
            "invalid_credit_code",
            "计算校验码需要 17 位代码字符集内的字符",
            "The check character needs 17 characters from the code character set",
            value=first17,
            reason="check_input",
        )
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[-total % 31]


def organisation_code_check_character(body8: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body."""
    if len(body8) != 8 or any(not ("0" <= c <= "9" or "A" <= c <= "Z") for c in body8):
        raise Invalid(
            "invalid_credit_code",
            "组织机构代码本体应为 8 位数字或大写字母",
            "An organisation-code body is 8 digits or capital letters",
            value=body8,
            reason="organisation_body",
        )
    remainder = sum(int(c, 36) * w for c, w in zip(body8, _INNER_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return "X" if check == 10 else "0" if check == 11 else str(check)


def validate_credit_code(value: str) -> CreditCodeCheck:
    """Normalize and check a credit code; raise ``Invalid`` unless its 18th character is right."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise Invalid(
            "invalid_credit_code",
            f"统一社会信用代码应为 18 位，实际为 {len(code)} 位",
            f"A unified social credit code has 18 characters, got {len(code)}",
            value=value,
            reason="length",
        )
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        raise Invalid(
            "invalid_credit_code",
            f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、S、V、Z）",
            f"The credit code contains characters outside its set: {''.join(bad)} "
            "(I, O, S, V and Z are never used)",
            value=value,
            reason="charset",
        )
    region = code[2:8]
    if not _DIGITS.issuperset(region):
        raise Invalid(
            "invalid_credit_code",
            "统一社会信用代码第 3–8 位（行政区划码）应全为数字",
            "Characters 3–8 of a credit code (the region code) must be digits",
            value=value,
            reason="region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise Invalid(
            "invalid_credit_code",
            "统一社会信用代码校验码不正确，请核对是否有错字或颠倒",
            "The credit code's check character is wrong; look for a mistyped or swapped character",
            value=value,
            reason="check_character",
        )
    if code[:2] not in CATEGORIES_ZH:
        raise Invalid(
            "invalid_credit_code",
            f"统一社会信用代码前两位 {code[:2]} 不是 GB 32100 规定的登记管理部门码和机构类别码",
            f"The first two characters {code[:2]} are not a registration department and category "
            "that GB 32100 defines",
            value=value,
            reason="category",
        )
    area = region_of(region)
    if area is None:
        raise Invalid(
            "invalid_credit_code",
            f"统一社会信用代码第 3–8 位 {region} 不是 GB/T 2260 中的行政区划代码",
            f"Characters 3–8 ({region}) are not a GB/T 2260 administrative division code",
            value=value,
            reason="region",
        )
    inner_ok = organisation_code_check_character(code[8:16]) == code[16]
    return CreditCodeCheck(
        code=code,
        department_zh=DEPARTMENTS_ZH[code[0]],
        category_zh=CATEGORIES_ZH[code[:2]],
        region=region,
        region_zh=area.name,
        organisation_code=code[8:17],
        inner_ok=inner_ok,
    )


@overload
def make_credit_code(first17: str, /) -> str: ...
@overload
def make_credit_code(category: str, region: str, org_body8: str, /) -> str: ...
def make_credit_code(first: str, region: str | None = None, org_body8: str | None = None, /) -> str:
    """Complete a credit code for seeds and tests.

    ``make_credit_code(first17)`` appends the 18th character. ``make_credit_code(category,
    region, org_body8)`` also computes the inner GB 11714 character, so the result passes
    both checks. Use bodies of organisations that do not exist (domain.md §7).
    """
    if region is None or org_body8 is None:
        if region is not None or org_body8 is not None:
            raise TypeError("make_credit_code takes either first17 or category, region, org_body8")
        return first + credit_code_check_character(first)
    if len(first) != 2 or not _DIGITS.issuperset(region) or len(region) != 6:
        raise Invalid(
            "invalid_credit_code",
            "需要 2 位登记管理部门/机构类别码和 6 位数字行政区划码",
            "Needs a 2-character category and a 6-digit region code",
            value=first + region,
            reason="make_input",
        )
    first17 = first + region + org_body8 + organisation_code_check_character(org_body8)
    return first17 + credit_code_check_character(first17)
