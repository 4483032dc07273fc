"""食品生产许可证 (SC) and 食品经营许可证 (JY) numbers, and 仅销售预包装食品备案 filings.

No public check-digit algorithm exists for either licence (docs/domain.md §2), so a number that
passes here still has to be checked by hand on the regulator's site: the checks are the format,
the SC food category (1 + 01–31, 2 + 01–03) and the GB/T 2260 region. Validity periods are read
from the certificate, never computed from the number. The 2023 measures turned selling only
prepackaged food into a filing (备案); its number format is unverified (§2, U), so it is a
setting (``TRACE_FILING_NUMBER_PATTERN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from suppliers.credit_code import normalize_credit_code
from suppliers.models import LICENCE_KIND_LABELS, LicenceKind
from suppliers.regions import province_of, region_of
from trace.errors import Invalid
from trace.i18n import label
from trace.settings import get_settings

NumberKind = Literal["food_production", "food_business", "prepackaged_filing", "legacy_qs"]

# Names in zh-CN come from the gettext catalogs (locale/), keyed by the English label.
LICENCE_KINDS: dict[str, dict[str, str]] = {
    kind.value: {"prefix": prefix, "zh": label(LICENCE_KIND_LABELS[kind]), "en": LICENCE_KIND_LABELS[kind]}
    for kind, prefix in ((LicenceKind.food_production, "SC"), (LicenceKind.food_business, "JY"),
                         (LicenceKind.prepackaged_filing, ""))
}

# [0-9] rather than \d: \d also matches full-width and other Unicode digits.
_SC = re.compile(r"SC(?P<category>[12][0-9]{2})(?P<region>[0-9]{6})[0-9]{5}")
_JY = re.compile(r"JY(?P<category>[123])(?P<region>[0-9]{6})[0-9]{7}")
_QS = re.compile(r"QS(?P<region>[0-9]{4})(?P<category>[0-9]{4})[0-9]{4}")

# Every SC category code (domain.md §2, V2: 1 = food 01–31, 2 = food additive 01–03); no other
# code is issued. Names 01–05 and 27–31 are domain.md's; 06–26 are those of the 《食品生产许可
# 分类目录》 that the 2015 measures refer to, which domain.md elides ("……").
SC_CATEGORIES_ZH: dict[str, str] = {
    "101": "粮食加工品",
    "102": "食用油、油脂及其制品",
    "103": "调味品",
    "104": "肉制品",
    "105": "乳制品",
    "106": "饮料",
    "107": "方便食品",
    "108": "饼干",
    "109": "罐头",
    "110": "冷冻饮品",
    "111": "速冻食品",
    "112": "薯类和膨化食品",
    "113": "糖果制品",
    "114": "茶叶及相关制品",
    "115": "酒类",
    "116": "蔬菜制品",
    "117": "水果制品",
    "118": "炒货食品及坚果制品",
    "119": "蛋制品",
    "120": "可可及焙烤咖啡产品",
    "121": "食糖",
    "122": "水产制品",
    "123": "淀粉及淀粉制品",
    "124": "糕点",
    "125": "豆制品",
    "126": "蜂产品",
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
    kind: NumberKind
    # SC: 3-digit food category; JY: 1-digit 主体业态; QS: 4-digit product category; filing: "".
    category_code: str
    category_zh: str | None
    # SC/JY: GB/T 2260 region (6 digits); QS: the 4-digit accepting authority; filing: "".
    region: str
    # SC/JY: the region's name (山东省济南市章丘区); Beijing's JY numbers name the province only.
    region_zh: str | None = None

    @property
    def kind_zh(self) -> str:
        return LICENCE_KINDS[self.kind]["zh"] if self.kind in LICENCE_KINDS else "QS 食品生产许可"

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
    if kind == "prepackaged_filing":
        return _parse_filing(value)
    parsed = _parse(value, allow_legacy_qs=allow_legacy_qs)
    if (
        kind is not None
        and parsed.kind != kind
        and not (parsed.kind == "legacy_qs" and kind == "food_production")
    ):
        names = LICENCE_KINDS.get(kind, {"zh": kind, "en": kind})
        raise Invalid(
            "invalid_licence_number",
            f"{value} 不是{names['zh']}编号（实为{parsed.kind_zh}）",
            f"{value} is not a {names['en'].lower()} number",
            value=value,
            reason="kind_mismatch",
        )
    return parsed


def _parse_filing(value: str) -> LicenceNumber:
    number = normalize_licence_number(value)
    pattern = get_settings().filing_number_pattern
    if not re.fullmatch(pattern, number):
        raise Invalid(
            "invalid_licence_number",
            f"仅销售预包装食品备案编号格式不正确（应符合 {pattern}）",
            f"Malformed prepackaged food sales filing number (expected {pattern})",
            value=value,
            reason="format",
            pattern=pattern,
        )
    return LicenceNumber(number, "prepackaged_filing", "", None, "")


def _region_name(value: str, region: str, *, province_only: bool = False) -> str:
    """The GB/T 2260 name of a licence number's region, or a refusal naming the digits."""
    found = province_of(region) if province_only else region_of(region)
    if found is None:
        raise Invalid(
            "invalid_licence_number",
            f"许可证编号中的地区码 {region} 不是 GB/T 2260 中的行政区划代码",
            f"The licence number's region {region} is not a GB/T 2260 administrative division code",
            value=value,
            reason="region",
        )
    return found.name


def _parse(value: str, *, allow_legacy_qs: bool) -> LicenceNumber:
    number = normalize_licence_number(value)
    if match := _SC.fullmatch(number):
        category = match["category"]
        if category not in SC_CATEGORIES_ZH:
            raise Invalid(
                "invalid_licence_number",
                f"食品生产许可证类别码 {category} 不存在：食品为 101–131，食品添加剂为 201–203",
                f"SC food category {category} does not exist: food is 101–131, food additives 201–203",
                value=value,
                reason="category",
            )
        region = match["region"]
        return LicenceNumber(number, "food_production", category, SC_CATEGORIES_ZH[category], region,
                             _region_name(value, region))
    if match := _JY.fullmatch(number):
        category, region = match["category"], match["region"]
        # Beijing puts 区/直属分局 + 街乡镇 where other provinces put city and county (§2).
        return LicenceNumber(number, "food_business", category, JY_OPERATOR_TYPES_ZH[category], region,
                             _region_name(value, region, province_only=region.startswith("11")))
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
