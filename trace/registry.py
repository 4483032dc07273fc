"""Imports every domain's tables so ``SQLModel.metadata`` is complete.

Used by Alembic, the app and the tests; the one place that knows all table modules.
"""

from sqlmodel import SQLModel

import canteens.meal_models  # noqa: F401
import canteens.models  # noqa: F401
import canteens.sync_models  # noqa: F401
import inspections.drills  # noqa: F401
import inspections.models  # noqa: F401
import suppliers.models  # noqa: F401
import trace.models  # noqa: F401

metadata = SQLModel.metadata
