"""GS1 Digital Link URIs for batch labels — pure functions, no database.

A batch is identified by its GTIN (AI 01) and lot (AI 10):
``https://{resolver}/01/{GTIN-14}/10/{lot}``, with production (11) and expiry (17)
dates as query attributes that describe but never identify.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, quote, unquote, urlsplit

from trace.errors import Invalid

# GS1 General Specifications, character set 82 (AI 10 lot numbers).
_CSET82 = re.compile(r"""^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$""")
# RFC 3986 unreserved characters stay literal in a path segment; the rest is percent-encoded.
_SAFE = "-._~"


def gtin_check_digit(data_digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data_digits)))
    return str((10 - total % 10) % 10)


def normalize_gtin(value: str) -> str:
    """A GTIN-8/12/13/14 with a valid check digit, as the 14-digit form."""
    digits = value.strip().replace(" ", "")
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise Invalid("invalid_gtin", f"GTIN“{value}”须为 8、12、13 或 14 位数字",
                      f"GTIN {value!r} must be 8, 12, 13 or 14 digits", value=value)
    if gtin_check_digit(digits[:-1]) != digits[-1]:
        raise Invalid("invalid_gtin", f"GTIN“{value}”的校验位不正确", f"GTIN {value!r} has a wrong check digit",
                      value=value)
    return digits.zfill(14)


def assign_gtin(company_prefix: str, item_reference: int) -> str:
    """A GTIN-13 from the platform's company prefix, returned as GTIN-14 (indicator 0)."""
    if not (company_prefix.isdigit() and 7 <= len(company_prefix) <= 10):
        raise Invalid("invalid_company_prefix", "GS1 厂商识别代码须为 7–10 位数字",
                      "The GS1 company prefix must be 7–10 digits", prefix=company_prefix)
    width = 12 - len(company_prefix)
    if not 0 <= item_reference < 10**width:
        raise Invalid("gtin_range_exhausted", "厂商识别代码下的商品项目代码已用完",
                      "No item references left under the company prefix", item_reference=item_reference)
    body = company_prefix + str(item_reference).zfill(width)
    return ("0" + body + gtin_check_digit(body)).zfill(14)


def normalize_lot(lot: str) -> str:
    if not _CSET82.match(lot or ""):
        raise Invalid("invalid_lot", "批号须为 1–20 个 GS1 字符集 82 中的字符（字母、数字及部分符号，不含空格和中文）",
                      "A lot must be 1–20 characters of GS1 character set 82 (no spaces or Chinese)", lot=lot)
    return lot


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def build_digital_link(base_url: str, gtin: str, lot: str, *, expiry: date | None = None,
                       production: date | None = None) -> str:
    uri = f"{base_url.rstrip('/')}/01/{normalize_gtin(gtin)}/10/{quote(normalize_lot(lot), safe=_SAFE)}"
    attributes = [f"{ai}={_yymmdd(d)}" for ai, d in (("11", production), ("17", expiry)) if d]
    return uri + ("?" + "&".join(attributes) if attributes else "")


@dataclass(frozen=True)
class DigitalLinkKey:
    gtin14: str
    lot: str
    production: date | None = None
    expiry: date | None = None


def _parse_yymmdd(value: str) -> date | None:
    if not re.fullmatch(r"\d{6}", value):
        raise Invalid("invalid_digital_link", "日期属性须为 YYMMDD", "Date attributes must be YYMMDD")
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    # GS1: day 00 means the last day of the month.
    if day == 0:
        from calendar import monthrange

        day = monthrange(year, month)[1] if 1 <= month <= 12 else 0
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("invalid_digital_link", "日期属性无效", "Invalid date attribute", value=value) from None


def parse_digital_link(uri_or_path: str) -> DigitalLinkKey:
    """The batch key in a Digital Link URI (or the path and query a resolver receives)."""
    parts = urlsplit(uri_or_path)
    segments = [s for s in parts.path.split("/") if s]
    try:
        start = segments.index("01")
    except ValueError:
        raise Invalid("invalid_digital_link", "不是有效的 GS1 数字链接：缺少 /01/{GTIN}",
                      "Not a GS1 Digital Link: /01/{GTIN} is missing") from None
    keys = segments[start:]
    if len(keys) != 4 or keys[2] != "10":
        raise Invalid("invalid_digital_link", "数字链接须为 /01/{GTIN}/10/{批号}",
                      "The Digital Link must be /01/{GTIN}/10/{lot}", path=parts.path)
    gtin = normalize_gtin(keys[1])
    lot = normalize_lot(unquote(keys[3]))
    query = parse_qs(parts.query)
    production = _parse_yymmdd(query["11"][0]) if "11" in query else None
    expiry = _parse_yymmdd(query["17"][0]) if "17" in query else None
    return DigitalLinkKey(gtin, lot, production, expiry)
