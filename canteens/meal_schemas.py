"""Request and response shapes for meals, their dishes, 陪餐 and retained samples (留样)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from canteens.models import Meal
from trace.errors import ReviewWarning
from trace.fields import RowId

DishName = Field(min_length=1, max_length=100, examples=["番茄炒蛋"])


class MealOpen(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "meal_date": "2025-09-01", "meal": "lunch", "dishes": ["米饭", "番茄炒蛋", "清炒白菜"],
    }]})

    school_id: RowId | None = Field(default=None, description="Needed only when an admin records for a school")
    meal_date: date
    meal: Meal
    dishes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=[], max_length=30, description="Dishes on the menu; more can be added later")


class DishAdd(BaseModel):
    name: str = DishName


class CompanionRecord(BaseModel):
    """陪餐: the school leader who ate with the students."""

    name: str = Field(min_length=1, max_length=50, examples=["李明"])
    title: str = Field(default="", max_length=50, examples=["副校长"])


class MealUseCreate(BaseModel):
    """出库 into this meal: the meal gives the school, the day and breakfast/lunch/dinner."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "batch_id": 1, "quantity": "12.5", "unit": "kg", "dish": "米饭"}]})

    batch_id: RowId
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    unit: str = Field(min_length=1, max_length=10)
    dish: str = Field(default="", max_length=100, description="A dish on the meal's menu, or empty (e.g. oil)")


class SampleTake(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "dish": "番茄炒蛋", "weight_grams": "150", "fridge": "留样柜1", "position": "第2层左"}]})

    dish: str = DishName
    weight_grams: Decimal = Field(gt=0, max_digits=9, decimal_places=3,
                                  description="At least TRACE_RETAINED_SAMPLE_MIN_GRAMS (125 g)")
    fridge: str = Field(min_length=1, max_length=40)
    position: str = Field(default="", max_length=40)
    taken_at: datetime | None = Field(default=None, description="When taken (with its offset); default: now")


class SampleDiscard(BaseModel):
    note: str = Field(default="", max_length=200, examples=["到期，按规定处理"])


class DishPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    added_at: datetime


class CompanionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    title: str
    recorded_at: datetime


class SamplePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    meal_id: int
    school_id: int
    dish: str
    weight_grams: Decimal
    fridge: str
    position: str
    taken_at: datetime
    taken_by: int | None
    discard_not_before: datetime
    event_id: str
    discarded_at: datetime | None = None
    discard_event_id: str | None = None


class DiscardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sample_id: int
    discarded_at: datetime
    discarded_by: int | None
    note: str
    event_id: str


class MealPublic(BaseModel):
    id: int
    school_id: int
    meal_date: date
    meal: Meal
    meal_zh: str
    opened_at: datetime
    chain: str = Field(description="Its custody chain: opening, menu, 陪餐, samples and serving (meal:<id>)")
    served_at: datetime | None
    served_event_id: str | None
    dishes: list[DishPublic]
    companions: list[CompanionPublic]
    samples: list[SamplePublic]
    review_warnings: list[ReviewWarning] = Field(
        default=[], description="What a person should check: no 陪餐, a dish without its 留样, use after serving")


class MealOfBatchPublic(BaseModel):
    """A meal a batch went into, by its school, day and meal; ``meal_id`` is null for use
    recorded without a meal record (no menu, 陪餐 or samples were recorded for it)."""

    meal_id: int | None
    school_id: int
    meal_date: date
    meal: Meal
    quantity: Decimal
    unit: str
    dishes: list[str]
    served_at: datetime | None
