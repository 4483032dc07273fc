"""The days canteen records are dated by: when a dated act happened, and date-range filters."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from trace.clock import local_today, local_zone
from trace.db import utcnow
from trace.errors import Invalid


def occurred_on(day: date) -> datetime:
    """When something dated ``day`` happened: now if today, else midday local time of that day."""
    if day == local_today():
        return utcnow()
    return datetime.combine(day, time(12, 0), tzinfo=local_zone())



def assert_date_range(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise Invalid("date_range_invalid", "起始日期晚于截止日期", "The from date is after the to date",
                      date_from=date_from.isoformat(), date_to=date_to.isoformat())


def dated_between(statement: Any, column: Any, date_from: date | None, date_to: date | None) -> Any:
    """The statement limited to rows dated within the range, both ends included, either end open."""
    if date_from is not None:
        statement = statement.where(column >= date_from)
    if date_to is not None:
        statement = statement.where(column <= date_to)
    return statement
