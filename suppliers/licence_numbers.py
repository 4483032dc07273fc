"""食品生产许可证 (SC) and 食品经营许可证 (JY) numbers: format checks only.

No public check-digit algorithm exists for either (docs/domain.md §2), so a number that passes
here still has to be checked by hand on the regulator's site. Validity periods are read from the
certificate, never computed from the number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from suppliers.credit_code import normalize_credit_code
from trace.errors import Invalid

LicenceKind = Literal["food_production", "food_business", "legacy_qs"]

LICENCE_KINDS: dict[str, dict[str, str]] = {
    "food_production": {"prefix": "SC", "zh": "食品生产许可证", "en": "Food production licence"},
    "food_business": {"prefix": "JY", "zh": "食品经营许可证", "en": "Food business licence"},
}

# [0-9] rather than \d: \d also matches full-width and other Unicode digits.
_SC = re.compile(r"SC(?P<category>[12][0-9]{2})(?P<region>[0-9]{6})[0-9]{5}")
_JY = re.compile(r"JY(?P<category>[123])(?P<region>[0-9]{6})[0-9]{7}")
_QS = re.compile(r"QS(?P<region>[0-9]{4})(?P<category>[0-9]{4})[0-9]{4}")

# SC category codes named in domain.md §2 (V2); other codes are accepted but left unnamed.
SC_CATEGORIES_ZH: dict[str, str] = {
    "101": "粮食加工品",
    "102": "食用油、油脂及其制品",
    "103": "调味品",
    "104": "肉制品",
    "105": "乳制品",
    "127": "保健食品",
    "128": "特殊医学用途配方食品",
    "129": "婴幼儿配方食品",
    "130": "特殊膳食食品",
    "131": "其他食品",
    "201": "食品添加剂",
    "202": "食品用香精",
    "203": "复配食品添加剂",
}

JY_OPERATOR_TYPES_ZH: dict[str, str] = {
    "1": "食品销售经营者",
    "2": "餐饮服务经营者",
    "3": "单位食堂",
}


@dataclass(frozen=True)
class LicenceNumber:
    number: str
    kind: LicenceKind
    # SC: 3-digit food category; JY: 1-digit 主体业态; QS: 4-digit product category.
    category_code: str
    category_zh: str | None
    # SC/JY: GB/T 2260 region (6 digits); QS: the 4-digit accepting authority.
    region: str

    @property
    def is_unit_canteen(self) -> bool:
        """A JY licence for a 单位食堂, the type a school canteen should hold."""
        return self.kind == "food_business" and self.category_code == "3"


def normalize_licence_number(value: str) -> str:
    """Same clean-up as credit codes: half-width, no spaces or hyphens, upper-case."""
    return normalize_credit_code(value)


def parse_licence_number(
    value: str, *, kind: str | None = None, allow_legacy_qs: bool = False
) -> LicenceNumber:
    """Check an SC or JY number's format and say what it declares.

    With ``kind`` (``food_production`` or ``food_business``) the number must be of that kind.
    Old QS numbers were replaced by SC from 2015; pass ``allow_legacy_qs=True`` only when
    recording historical documents.
    """
    parsed = _parse(value, allow_legacy_qs=allow_legacy_qs)
    if (
        kind is not None
        and parsed.kind != kind
        and not (parsed.kind == "legacy_qs" and kind == "food_production")
    ):
        names = LICENCE_KINDS.get(kind, {"zh": kind, "en": kind})
        raise Invalid(
            "invalid_licence_number",
            f"{value} 不是{names['zh']}编号",
            f"{value} is not a {names['en'].lower()} number",
            value=value,
            reason="kind_mismatch",
        )
    return parsed


def _parse(value: str, *, allow_legacy_qs: bool) -> LicenceNumber:
    number = normalize_licence_number(value)
    if match := _SC.fullmatch(number):
        category = match["category"]
        return LicenceNumber(
            number, "food_production", category, SC_CATEGORIES_ZH.get(category), match["region"]
        )
    if match := _JY.fullmatch(number):
        category = match["category"]
        return LicenceNumber(
            number, "food_business", category, JY_OPERATOR_TYPES_ZH[category], match["region"]
        )
    if match := _QS.fullmatch(number):
        if allow_legacy_qs:
            return LicenceNumber(number, "legacy_qs", match["category"], None, match["region"])
        raise Invalid(
            "invalid_licence_number",
            "QS 编号已由 SC 食品生产许可证取代，只能用于历史记录",
            "QS numbers were replaced by SC food production licences; accepted for history only",
            value=value,
            reason="legacy_qs",
        )
    raise Invalid(
        "invalid_licence_number",
        "许可证编号格式不正确：食品生产许可证为 SC + 14 位数字，食品经营许可证为 JY + 14 位数字",
        "Malformed licence number: a food production licence is SC + 14 digits, "
        "a food business licence JY + 14 digits",
        value=value,
        reason="format",
    )
