"""GS1 Digital Link URIs for batch labels — pure functions, no database.

A batch is identified by its GTIN (AI 01) and lot (AI 10):
``https://{resolver}[/{path}]/01/{GTIN-14}/10/{lot}?11={YYMMDD}&17={YYMMDD}``.
Production (11) and expiry (17) dates are query attributes: they describe the lot
but never identify it, so a resolver keys on GTIN and lot alone. We always write
11 before 17 (ascending AI order, as GS1's canonical URIs do); the parser accepts
either order.

Dates are read as 20YY: every date on a label we print or scan falls in
2000–2099, and GS1's sliding century window (General Specifications §7.12) would
make the same URI parse differently depending on the day it is scanned.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, quote, unquote, urlsplit

from trace.errors import Invalid

# GS1 General Specifications, character set 82: what AI 10 lot numbers may hold.
_CSET82 = re.compile(r"""[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}""")
# The Digital Link grammar keeps letters, digits, "-", "." and "_" literal and
# percent-encodes every other CSET 82 character ("/" would split the path, "?" would
# start the query, "%" would start an escape, "&" "=" "+" … confuse naive servers).
_LITERAL = "-._"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_YYMMDD = re.compile(r"\d{6}")


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def gtin_check_digit(data_digits: str) -> str:
    """GS1 mod-10 check digit (GTIN, GLN, SSCC): weights 3,1,3,1… from the rightmost digit."""
    if not _digits(data_digits):
        raise Invalid("invalid_gtin", "GTIN 只能由数字组成", "A GTIN holds digits only", value=data_digits)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data_digits)))
    return str((10 - total % 10) % 10)


def normalize_gtin(value: str) -> str:
    """A GTIN-8/12/13/14 with a valid check digit, as the 14-digit form."""
    digits = value.replace(" ", "").strip()
    if not _digits(digits) or len(digits) not in (8, 12, 13, 14):
        raise Invalid("invalid_gtin", f"GTIN“{value}”须为 8、12、13 或 14 位数字",
                      f"GTIN {value!r} must be 8, 12, 13 or 14 digits", value=value)
    if gtin_check_digit(digits[:-1]) != digits[-1]:
        raise Invalid("invalid_gtin", f"GTIN“{value}”的校验位不正确",
                      f"GTIN {value!r} has a wrong check digit", value=value)
    return digits.zfill(14)


def assign_gtin(company_prefix: str, item_reference: int) -> str:
    """A GTIN-13 under the platform's GS1 company prefix, returned as GTIN-14 (indicator 0).

    For bulk produce whose producer has no GTIN: the caller numbers its products
    1, 2, 3… and this packs the number after the prefix.
    """
    if not (_digits(company_prefix) and 7 <= len(company_prefix) <= 10):
        raise Invalid("invalid_company_prefix", "GS1 厂商识别代码须为 7–10 位数字",
                      "The GS1 company prefix must be 7–10 digits", prefix=company_prefix)
    width = 12 - len(company_prefix)
    if not 0 <= item_reference < 10**width:
        raise Invalid("gtin_range_exhausted",
                      f"商品项目代码 {item_reference} 超出厂商识别代码 {company_prefix} 的 {width} 位范围",
                      f"Item reference {item_reference} does not fit the {width} digits left by "
                      f"company prefix {company_prefix}",
                      company_prefix=company_prefix, item_reference=item_reference)
    body = company_prefix + str(item_reference).zfill(width)
    return "0" + body + gtin_check_digit(body)


def normalize_lot(lot: str) -> str:
    """A lot number (AI 10) as GS1 allows it: 1–20 characters of character set 82."""
    if not isinstance(lot, str) or not _CSET82.fullmatch(lot):
        raise Invalid("invalid_lot",
                      f"批号“{lot}”须为 1–20 个字符，只能使用字母、数字和 GS1 允许的符号（不能有空格或中文）",
                      f"Lot {lot!r} must be 1–20 characters from GS1 character set 82 "
                      "(letters, digits and some symbols; no spaces or Chinese)", lot=lot)
    return lot


def _base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        # A configuration mistake, not a user's: fail loudly rather than print bad QR codes.
        raise ValueError(f"resolver base URL must be http(s)://host[/path], got {base_url!r}")
    return base_url.rstrip("/")


def build_digital_link(base_url: str, gtin: str, lot: str, *, expiry: date | None = None,
                       production: date | None = None) -> str:
    """The lot's Digital Link URI: GTIN-14 and percent-encoded lot in the path, dates in the query."""
    uri = f"{_base(base_url)}/01/{normalize_gtin(gtin)}/10/{quote(normalize_lot(lot), safe=_LITERAL)}"
    attributes = [f"{ai}={day:%y%m%d}" for ai, day in (("11", production), ("17", expiry)) if day]
    return uri + ("?" + "&".join(attributes) if attributes else "")


@dataclass(frozen=True)
class DigitalLinkKey:
    """What a scanned batch QR says: the key (GTIN + lot) and the dates it carries."""

    gtin14: str
    lot: str
    production: date | None = None
    expiry: date | None = None


def _invalid_link(zh: str, en: str, **details: object) -> Invalid:
    return Invalid("invalid_digital_link", f"不是有效的 GS1 数字链接：{zh}",
                   f"Not a valid GS1 Digital Link: {en}", **details)


def _parse_date(ai: str, value: str) -> date:
    if not _YYMMDD.fullmatch(value):
        raise _invalid_link(f"日期属性 {ai} 须为 YYMMDD", f"date attribute {ai} must be YYMMDD", value=value)
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    try:
        if day == 0:  # GS1: day 00 stands for the last day of the month.
            day = calendar.monthrange(year, month)[1]
        return date(year, month, day)
    except (ValueError, calendar.IllegalMonthError):
        raise _invalid_link(f"日期 {value} 不存在", f"date {value} does not exist", value=value) from None


def parse_digital_link(uri_or_path: str) -> DigitalLinkKey:
    """The batch key in a Digital Link URI, or in the raw path and query a resolver receives.

    Only the form we issue is accepted, ``…/01/{GTIN}/10/{lot}``: other key
    qualifiers (22 variant, 21 serial) name something other than a lot. GTIN-8/12/13
    are padded and percent-escapes decoded, so every spelling of a lot gives one key.
    """
    parts = urlsplit(uri_or_path.strip())
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 4 or segments[-4] != "01" or segments[-2] != "10":
        raise _invalid_link("须为 …/01/{GTIN}/10/{批号}", "expected …/01/{GTIN}/10/{lot}", path=parts.path)
    raw_gtin, raw_lot = segments[-3], segments[-1]
    if _BAD_ESCAPE.search(raw_lot):
        raise _invalid_link("批号中的 % 必须是百分号编码", "a % in the lot must start a percent-escape",
                            lot=raw_lot)
    gtin = normalize_gtin(unquote(raw_gtin))
    lot = normalize_lot(unquote(raw_lot))
    query = parse_qs(parts.query)
    production = _parse_date("11", query["11"][0]) if "11" in query else None
    expiry = _parse_date("17", query["17"][0]) if "17" in query else None
    return DigitalLinkKey(gtin, lot, production, expiry)
