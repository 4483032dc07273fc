"""Mock-recall drills (模拟召回演练, issue 13 item 3): the forward-trace list, timed and kept.

A drill changes nothing in custody: no event, no status, no stock. It keeps who ran it, when,
how long the list took to compute and the list itself (JSON, as it stood then), so an inspector
can file the report and compare drills over time. The list is computed on the top floor
(``web.drills``, through ``trace.queries.trace_forward``); this module only holds the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from trace.db import UTCDateTime, utcnow


class MockRecallDrill(SQLModel, table=True):
    __tablename__ = "mock_recall_drill"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    run_by: int = Field(foreign_key="app_user.id")
    run_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    duration_ms: int  # the forward trace's computation, wall clock
    school_count: int
    unit: str = Field(max_length=10)
    # The list as it stood: one object per school the batch was shipped to (web.drills.DRILL_COLUMNS).
    destinations: str = Field(sa_type=Text)
