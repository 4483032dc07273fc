"""Input field types every domain's requests share.

Ids are positive INTEGER keys (32-bit on PostgreSQL): a bigger number names no row and
would overflow the column or the driver, so it is refused as invalid input (422), never a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from trace.db import MAX_ROW_ID

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]  # in a request body
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]  # in the URL path
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]  # paging past rows or ids
QueryIds = Annotated[list[RowId], Query(min_length=1, max_length=500)]  # ?batch_id=1&batch_id=2
PageOffset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Rows to skip: the next page starts at offset + limit")]
PageLimit = Annotated[int, Query(ge=1, le=500, description="At most this many rows (1–500)")]
