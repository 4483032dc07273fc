"""An investigator's reads across a meal: from a meal to every lot in it, with its supplier,
its tests and the retained samples; from a lot to every meal it went into.

The tests are the inspections domain's and the suppliers the suppliers', so these reads
stand on the top floor with the trace queries (canteens and inspections never import
each other). One call answers each question.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from canteens.meal_deps import MealForActor
from canteens.meal_review import meal_view
from canteens.meal_schemas import MealOfBatchPublic, MealPublic, SamplePublic
from canteens.meals import MealLot, meals_of_batch
from canteens.meals_api import meal_public
from canteens.schemas import UsePublic
from inspections import service as inspection_service
from inspections.schemas import TestResultPublic
from suppliers import service as supplier_service
from suppliers.public import batch_public, supplier_public
from suppliers.schemas import BatchPublic, SupplierPublic
from trace.batch_reads import BatchForReader
from trace.deps import SessionDep
from trace.policy import allow

router = APIRouter(tags=["canteens 学校食堂"])


class MealTraceLot(BaseModel):
    """One lot in the meal, with everything an investigator asks of it."""

    batch: BatchPublic
    product_name: str
    supplier: SupplierPublic
    quantity: Decimal = Field(description="How much of the lot went into the meal, in the product's base unit")
    unit: str
    dishes: list[str] = Field(description="The dishes its uses named (empty: used across the meal, e.g. oil)")
    uses: list[UsePublic]
    tests: list[TestResultPublic] = Field(description="Every test of the lot: rapid tests at any door, laboratory "
                                                      "reports")
    sample_ids: list[int] = Field(description="The meal's retained samples that may hold this lot: those of the "
                                              "dishes it went into, or all of them when a use named no dish")


class MealTracePublic(BaseModel):
    meal: MealPublic
    lots: list[MealTraceLot]
    samples: list[SamplePublic]


def _trace_lot(session, lot: MealLot, samples: list[SamplePublic]) -> MealTraceLot:
    product = supplier_service.product_get(session, lot.batch.product_id)
    dishes = lot.dishes
    across_meal = any(not use.dish for use in lot.uses)
    return MealTraceLot(
        batch=batch_public(session, lot.batch), product_name=product.name,
        supplier=supplier_public(session, supplier_service.supplier_get(session, lot.batch.supplier_id)),
        quantity=lot.quantity, unit=lot.unit, dishes=dishes, uses=[UsePublic.model_validate(u) for u in lot.uses],
        tests=[TestResultPublic.model_validate(t) for t in inspection_service.tests_of_batch(session, lot.batch.id)],
        sample_ids=[s.id for s in samples if across_meal or s.dish in dishes],
    )


@router.get("/meals/{meal_id}/trace", response_model=MealTracePublic)
def meal_trace(_: allow("meal.read"), meal: MealForActor, session: SessionDep):
    """From a meal: every lot in it, with its supplier, its tests, its uses and the retained samples."""
    view = meal_view(session, meal)
    public = meal_public(session, meal, view)
    return MealTracePublic(meal=public, lots=[_trace_lot(session, lot, public.samples) for lot in view.lots],
                           samples=public.samples)


@router.get("/batches/{batch_id}/meals", response_model=list[MealOfBatchPublic])
def batch_meals(actor: allow("meal.read"), batch: BatchForReader, session: SessionDep):
    """Every meal a lot went into, oldest first (canteen staff: their own school's meals)."""
    school_id = actor.school_id if actor.role == "canteen_staff" else None
    return [MealOfBatchPublic(meal_id=m.meal.id if m.meal else None, school_id=m.school_id, meal_date=m.meal_date,
                              meal=m.meal_kind, quantity=m.quantity, unit=m.unit, dishes=m.dishes,
                              served_at=m.meal.served_at if m.meal else None)
            for m in meals_of_batch(session, batch.id, school_id=school_id)]

