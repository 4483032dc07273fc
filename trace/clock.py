"""Local dates: the district works in Asia/Shanghai, custody instants are UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from trace.db import utcnow
from trace.errors import Invalid
from trace.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_now() -> datetime:
    return utcnow().astimezone(local_zone())


def local_today() -> date:
    return local_now().date()


def local_date(at: datetime) -> date:
    return at.astimezone(local_zone()).date()


def assert_not_future(day: date, what_zh: str, what_en: str) -> None:
    """A date something happened on (produced, shipped, received, used) is not after today."""
    if day > local_today():
        raise Invalid("date_in_future", f"{what_zh}不能晚于今天", f"The {what_en} cannot be in the future",
                      date=day.isoformat())
