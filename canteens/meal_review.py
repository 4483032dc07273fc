"""A meal as a person reviews it: its menu, 陪餐 and samples, and what is missing.

What is missing is a review warning, never a refusal: a meal without 陪餐 or with a dish
not sampled is what an inspector asks about, but the meal was still served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from canteens.meal_models import MealCompanion, MealDish, RetainedSample, RetainedSampleDiscard, SchoolMeal
from canteens.meals import MealLot, companions_of_meal, dishes_of_meal, lots_of_meal, meal_name_zh
from canteens.models import KitchenUse
from canteens.samples import samples_of_meal
from trace.models import CustodyEvent


@dataclass
class MealView:
    meal: SchoolMeal
    dishes: list[MealDish]
    companions: list[MealCompanion]
    samples: list[tuple[RetainedSample, RetainedSampleDiscard | None]]
    lots: list[MealLot]
    warnings: list[dict[str, Any]]


def meal_view(session: Session, meal: SchoolMeal) -> MealView:
    dishes = dishes_of_meal(session, meal.id)
    companions = companions_of_meal(session, meal.id)
    samples = samples_of_meal(session, meal.id)
    lots = lots_of_meal(session, meal)
    warnings = meal_review_warnings(session, meal, dishes=dishes, companions=companions,
                                    samples=[s for s, _ in samples], lots=lots)
    return MealView(meal, dishes, companions, samples, lots, warnings)


def _warning(code: str, zh: str, en: str, **details: str) -> dict[str, Any]:
    return {"code": code, "message": {"zh-CN": zh, "en": en}, "details": details}


def _transformed_use_ids(session: Session, meal: SchoolMeal) -> set[int]:
    if meal.served_event_id is None:
        return set()
    payload = session.execute(select(CustodyEvent.payload).where(
        CustodyEvent.event_id == meal.served_event_id)).scalar_one()
    return {use_id for lot in json.loads(payload)["input_quantity_list"] for use_id in lot["use_ids"]}


def _first_of_chain(session: Session, use: KitchenUse) -> KitchenUse:
    while use.corrects_use_id is not None:
        use = session.get(KitchenUse, use.corrects_use_id)
    return use


def meal_review_warnings(session: Session, meal: SchoolMeal, *, dishes: list[MealDish],
                         companions: list[MealCompanion], samples: list[RetainedSample],
                         lots: list[MealLot]) -> list[dict[str, Any]]:
    """What a reviewer should check on a meal: 陪餐 missing, a dish without its 留样, use after serving."""
    name = meal_name_zh(meal)
    warnings = []
    if not companions:
        warnings.append(_warning("meal_without_companion", f"{name}没有陪餐记录（中小学、幼儿园每餐须有学校负责人陪餐）",
                                 "No school leader is recorded as having eaten this meal with the students (陪餐)"))
    if not dishes:
        warnings.append(_warning("meal_without_dishes", f"{name}没有登记菜品", "No dishes are recorded for this meal"))
    if not samples:
        warnings.append(_warning("meal_without_sample", f"{name}没有留样", "No retained sample (留样) of this meal"))
    sampled = {sample.dish for sample in samples}
    for dish in dishes:
        if dish.name not in sampled:
            warnings.append(_warning("dish_without_sample", f"{name}的“{dish.name}”没有留样",
                                     f"The dish “{dish.name}” has no retained sample", dish=dish.name))
    if meal.served_at is not None:
        transformed = _transformed_use_ids(session, meal)
        late = [use for lot in lots for use in lot.uses if use.id not in transformed]
        # A correction of a use the serving named is not a late use, but the reviewer is told of it.
        corrected = [use for use in late if _first_of_chain(session, use).id in transformed]
        late = [use for use in late if use not in corrected]
        if corrected:
            warnings.append(_warning(
                "use_corrected_after_serving", f"{name}结束供餐后有 {len(corrected)} 条出库记录被更正，数量以更正后为准",
                f"{len(corrected)} use(s) of this meal were corrected after it was served; the corrected quantities "
                "count", use_ids=",".join(str(use.id) for use in corrected)))
        if late:
            warnings.append(_warning(
                "use_after_serving", f"{name}结束供餐后又有 {len(late)} 条出库记录，不在供餐时的原料清单中",
                f"{len(late)} use(s) were recorded for this meal after it was served and are not among the lots "
                "its serving named", use_ids=",".join(str(use.id) for use in late)))
    return warnings
