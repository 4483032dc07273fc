"""Routes for meals, their menu and 陪餐, use into a meal, serving, and retained samples (thin)."""

from __future__ import annotations

from fastapi import APIRouter

from canteens import meals, samples
from canteens.api import DateFrom, DateTo
from canteens.deps import SchoolForActor
from canteens.meal_deps import MealForActor, SampleForActor
from canteens.meal_models import RetainedSample, RetainedSampleDiscard
from canteens.meal_review import MealView, meal_view
from canteens.meal_schemas import (
    CompanionPublic,
    CompanionRecord,
    DiscardPublic,
    DishAdd,
    DishPublic,
    MealOpen,
    MealPublic,
    MealUseCreate,
    SampleDiscard,
    SamplePublic,
    SampleTake,
)
from canteens.models import MEAL_LABELS
from canteens.schemas import UsePublic
from trace.custody import stream_of
from trace.deps import SessionDep, WriteDep
from trace.errors import ReviewWarning
from trace.fields import PageLimit, PageOffset
from trace.i18n import label
from trace.policy import allow

router = APIRouter(tags=["canteens 学校食堂"])


def sample_public(sample: RetainedSample, discard: RetainedSampleDiscard | None = None) -> SamplePublic:
    public = SamplePublic.model_validate(sample)
    if discard is not None:
        public.discarded_at, public.discard_event_id = discard.discarded_at, discard.event_id
    return public


def meal_public(session, meal, view: MealView | None = None) -> MealPublic:
    view = view or meal_view(session, meal)
    return MealPublic(
        id=meal.id, school_id=meal.school_id, meal_date=meal.meal_date, meal=meal.meal,
        meal_zh=label(MEAL_LABELS[meal.meal], "zh-CN"), opened_at=meal.opened_at, chain=stream_of("meal", meal.id), served_at=meal.served_at,
        served_event_id=meal.served_event_id,
        dishes=[DishPublic.model_validate(d) for d in view.dishes],
        companions=[CompanionPublic.model_validate(c) for c in view.companions],
        samples=[sample_public(s, d) for s, d in view.samples],
        review_warnings=[ReviewWarning.model_validate(w) for w in view.warnings],
    )


@router.post("/meals", response_model=MealPublic, status_code=201)
def open_meal(actor: allow("meal.record"), body: MealOpen, ctx: WriteDep):
    """Open a school's meal of a day (or get it, if already open), with dishes for its menu."""
    return ctx.run(lambda: meal_public(ctx.session, meals.meal_get_or_create(
        ctx.session, actor=actor, school_id=body.school_id, meal_date=body.meal_date, meal=body.meal,
        dishes=body.dishes)))


@router.get("/meals/{meal_id}", response_model=MealPublic)
def get_meal(_: allow("meal.read"), meal: MealForActor, session: SessionDep):
    """One meal: its dishes, 陪餐, retained samples, and what a reviewer should check."""
    return meal_public(session, meal)


@router.post("/meals/{meal_id}/dishes", response_model=DishPublic, status_code=201)
def add_dish(actor: allow("meal.record"), meal: MealForActor, body: DishAdd, ctx: WriteDep):
    """Put a dish on the meal's menu."""
    return ctx.run(lambda: DishPublic.model_validate(meals.meal_add_dish(
        ctx.session, actor=actor, meal_id=meal.id, name=body.name)))


@router.post("/meals/{meal_id}/companions", response_model=CompanionPublic, status_code=201)
def record_companion(actor: allow("meal.record"), meal: MealForActor, body: CompanionRecord, ctx: WriteDep):
    """陪餐: record the school leader who ate this meal with the students."""
    return ctx.run(lambda: CompanionPublic.model_validate(meals.meal_record_companion(
        ctx.session, actor=actor, meal_id=meal.id, name=body.name, title=body.title)))


@router.post("/meals/{meal_id}/uses", response_model=UsePublic, status_code=201)
def use_into_meal(actor: allow("use.create"), meal: MealForActor, body: MealUseCreate, ctx: WriteDep):
    """出库 into this meal: a quantity of a lot in stock (not expired, held or recalled)."""
    return ctx.run(lambda: UsePublic.model_validate(meals.meal_use(
        ctx.session, actor=actor, meal_id=meal.id, batch_id=body.batch_id, quantity=body.quantity, unit=body.unit,
        dish=body.dish)))


@router.post("/meals/{meal_id}/serve", response_model=MealPublic, status_code=200)
def serve_meal(actor: allow("meal.record"), meal: MealForActor, ctx: WriteDep):
    """The meal is served: one transformation event, its lots in and the meal out; no use into it after."""
    return ctx.run(lambda: meal_public(ctx.session, meals.meal_serve(ctx.session, actor=actor, meal_id=meal.id)),
                   status_code=200)


@router.post("/meals/{meal_id}/samples", response_model=SamplePublic, status_code=201)
def take_sample(actor: allow("sample.record"), meal: MealForActor, body: SampleTake, ctx: WriteDep):
    """留样: a sample of one dish (at least 125 g), its fridge and place; kept at least 48 hours."""
    return ctx.run(lambda: sample_public(samples.sample_take(
        ctx.session, actor=actor, meal_id=meal.id, dish=body.dish, weight_grams=body.weight_grams,
        fridge=body.fridge, position=body.position, taken_at=body.taken_at)))


@router.post("/samples/{sample_id}/discard", response_model=DiscardPublic, status_code=201)
def discard_sample(actor: allow("sample.record"), sample: SampleForActor, body: SampleDiscard, ctx: WriteDep):
    """Discard a retained sample once its keeping time is up (a record of its own; refused before)."""
    return ctx.run(lambda: DiscardPublic.model_validate(samples.sample_discard(
        ctx.session, actor=actor, sample_id=sample.id, note=body.note)))


@router.get("/schools/{school_id}/meals", response_model=list[MealPublic])
def school_meals(_: allow("meal.read"), school: SchoolForActor, session: SessionDep,
                 date_from: DateFrom = None, date_to: DateTo = None, limit: PageLimit = 100, offset: PageOffset = 0):
    """A school's meals by day and breakfast, lunch, dinner, each with what a reviewer should check."""
    return [meal_public(session, m) for m in meals.meals_of_school(
        session, school.id, date_from=date_from, date_to=date_to, limit=limit, offset=offset)]


@router.get("/schools/{school_id}/samples/due", response_model=list[SamplePublic])
def samples_due(_: allow("sample.read"), school: SchoolForActor, session: SessionDep,
                limit: PageLimit = 100, offset: PageOffset = 0):
    """A school's retained samples whose keeping time is up and that are still in the fridge."""
    return [sample_public(s) for s in samples.samples_due_for_discard(session, school.id, limit=limit, offset=offset)]
