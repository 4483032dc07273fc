"""Local dates: the district works in Asia/Shanghai, custody instants are UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from trace.db import utcnow
from trace.settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def local_today() -> date:
    return utcnow().astimezone(local_zone()).date()


def local_date(at: datetime) -> date:
    return at.astimezone(local_zone()).date()
