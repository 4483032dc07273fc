"""Meals and their retained samples (留样), the canteen's tables for what it serves.

A meal is one school's breakfast, lunch or dinner on one day (unique), with its dishes
and its 陪餐 (a school leader who ate with the students, domain.md §3.2). What went into it
is the kitchen use (出库) recorded for the same school, day and meal: a use names its meal
by those three values, so every use joins its meal — also a use recorded before the meal
record was opened, or through ``POST /uses`` — without a second link to keep in step.

Every row here is written once. A sample's discarding is a row of its own, never an edit;
the one state a meal moves through, being served, is set once by a conditional UPDATE
together with its transformation event (canteens.meals).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from canteens.models import Meal
from trace.db import Quantity, UTCDateTime, utcnow


class SchoolMeal(SQLModel, table=True):
    """One meal of one school on one day; its custody chain is ``meal:<id>``."""

    # Not "meal": on PostgreSQL that is already the name of the meal enum's type.
    __tablename__ = "school_meal"
    __table_args__ = (UniqueConstraint("school_id", "meal_date", "meal", name="uq_school_meal_school_day_meal"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id")
    meal_date: date
    meal: Meal = Field(max_length=10)
    opened_by: int | None = Field(default=None, foreign_key="app_user.id")
    # Its opening is the first event of its chain (meal:<id>), written once the id exists.
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Served: the transformation event (lots in, meal out) is written; set once, never cleared.
    served_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    served_by: int | None = Field(default=None, foreign_key="app_user.id")
    served_event_id: str | None = Field(default=None, max_length=36)


class MealDish(SQLModel, table=True):
    """A dish on a meal's menu (成品 in the 留样 rule: one sample per dish)."""

    __tablename__ = "meal_dish"
    __table_args__ = (UniqueConstraint("meal_id", "name", name="uq_meal_dish_meal_name"),)

    id: int | None = Field(default=None, primary_key=True)
    meal_id: int = Field(foreign_key="school_meal.id")
    name: str = Field(max_length=100)
    added_by: int | None = Field(default=None, foreign_key="app_user.id")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)


class MealCompanion(SQLModel, table=True):
    """陪餐: a school leader who ate the meal with the students (required every meal, §3.2)."""

    __tablename__ = "meal_companion"

    id: int | None = Field(default=None, primary_key=True)
    meal_id: int = Field(foreign_key="school_meal.id", index=True)
    name: str = Field(max_length=50)
    title: str = Field(default="", max_length=50)  # 校长、副校长、后勤主任…
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)


class RetainedSample(SQLModel, table=True):
    """留样: a sample of one dish of one meal, kept chilled until it may be discarded."""

    __tablename__ = "retained_sample"
    # (school, discard_not_before) serves the list of samples due for discard.
    __table_args__ = (Index("ix_retained_sample_school_due", "school_id", "discard_not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    meal_id: int = Field(foreign_key="school_meal.id", index=True)
    school_id: int = Field(foreign_key="school.id")
    dish: str = Field(max_length=100)
    weight_grams: Decimal = Field(sa_type=Quantity)
    fridge: str = Field(max_length=40)
    position: str = Field(default="", max_length=40)
    taken_at: datetime = Field(sa_type=UTCDateTime)
    taken_by: int | None = Field(default=None, foreign_key="app_user.id")
    # taken_at + the minimum keeping time in force when it was taken (§3.2: 48 h).
    discard_not_before: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)


class RetainedSampleDiscard(SQLModel, table=True):
    """A retained sample thrown away after its keeping time: a record of its own, once per sample."""

    __tablename__ = "retained_sample_discard"

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="retained_sample.id", unique=True)
    discarded_at: datetime = Field(sa_type=UTCDateTime)
    discarded_by: int | None = Field(default=None, foreign_key="app_user.id")
    note: str = Field(default="", max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)
