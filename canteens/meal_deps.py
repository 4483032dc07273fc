"""Load-or-404 dependencies for meals and retained samples, with the visibility check.

A meal belongs to its school: canteen staff of another school are told it does not
exist, as for an id that names nothing (canteens.deps explains why).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from canteens.meal_models import RetainedSample, SchoolMeal
from canteens.meals import meal_get, meal_not_found
from canteens.samples import sample_get
from trace.deps import ActorDep, SessionDep
from trace.errors import NotFound
from trace.fields import PathId
from trace.policy import sees_party


def meal_for_actor(meal_id: PathId, session: SessionDep, actor: ActorDep) -> SchoolMeal:
    """A meal of the caller's school (inspectors and admins: every school's)."""
    meal = meal_get(session, meal_id)
    if not sees_party(actor, school_id=meal.school_id):
        raise meal_not_found(meal_id)
    return meal


def sample_for_actor(sample_id: PathId, session: SessionDep, actor: ActorDep) -> RetainedSample:
    sample = sample_get(session, sample_id)
    if not sees_party(actor, school_id=sample.school_id):
        raise NotFound("sample_not_found", f"留样记录 {sample_id} 不存在", f"Retained sample {sample_id} not found",
                       sample_id=sample_id)
    return sample


MealForActor = Annotated[SchoolMeal, Depends(meal_for_actor)]
SampleForActor = Annotated[RetainedSample, Depends(sample_for_actor)]
