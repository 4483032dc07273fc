"""A meal's investigation screen: from a meal, in one screen, every lot in it with its supplier (name,
licences, standing), its tests, its receipt at the school, and the meal's retained samples.

It joins the canteens (meal, receipts, samples), the suppliers and the inspections (tests), so it
stands on the top floor. The school's canteen staff open it at ``/canteen/meals/{id}/trace``
("work.canteen"; another school's meal is not found), inspectors and admins at ``/inspect/meals/{id}``
("work.inspect"); the two are one template. The JSON of the same question is
``GET /api/v1/meals/{id}/trace`` (trace.meal_reads).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from canteens import meal_selectors
from canteens import service as canteen_service
from canteens.meal_deps import MealForActor
from canteens.meal_models import RetainedSample, SchoolMeal
from canteens.meal_pages import clock_for
from canteens.meal_review import meal_view
from canteens.meals import MealLot
from canteens.models import MEAL_LABELS, Receipt
from inspections import service as inspection_service
from inspections.models import OUTCOME_LABELS, TEST_KIND_LABELS, TestResult
from inspections.rapid_tests import VERDICT_LABELS
from suppliers import service as supplier_service
from suppliers.models import BATCH_STATUS_LABELS, LICENCE_KIND_LABELS, Licence, Product, Supplier
from suppliers.overview import STANDING_LABELS, standing_of, supply_refusal
from trace.clock import local_date, local_today
from trace.custody import Actor
from trace.deps import SessionDep
from trace.pages import page_locale, render_page
from trace.policy import allow

router = APIRouter(include_in_schema=False)


@dataclass
class TracedLot:
    """One lot of the meal with everything an investigator asks of it."""

    lot: MealLot
    product: Product
    supplier: Supplier
    licences: list[Licence]
    standing: str
    supply_refusal: str  # why the supplier may not supply on the meal's day, in the reader's language; "" if it may
    tests: list[TestResult]
    receipts: list[Receipt]
    samples: list[RetainedSample]


def _traced_lot(session: Session, actor: Actor, meal: SchoolMeal, lot: MealLot, samples: list[RetainedSample],
                locale: str) -> TracedLot:
    batch = lot.batch
    supplier = supplier_service.supplier_get(session, batch.supplier_id)
    refusal = supply_refusal(session, supplier, meal.meal_date)
    tests = inspection_service.tests_of_batch(session, batch.id)
    if actor.role == "canteen_staff":
        # As on the shipment page: the school's own rapid tests and the laboratory reports of the lot.
        tests = [t for t in tests if t.school_id in (None, meal.school_id)]
    receipts = [r for r in canteen_service.receipts_of_school(session, meal.school_id, date_to=meal.meal_date,
                                                              limit=500) if r.batch_id == batch.id]
    across_meal = any(not use.dish for use in lot.uses)
    return TracedLot(
        lot=lot, product=supplier_service.product_get(session, batch.product_id), supplier=supplier,
        licences=supplier_service.licences_of(session, supplier.id), standing=standing_of(supplier),
        supply_refusal=(refusal.zh if locale == "zh-CN" else refusal.en) if refusal else "",
        tests=tests, receipts=receipts,
        samples=[s for s in samples if across_meal or s.dish in lot.dishes])


def _trace_page(request: Request, session: SessionDep, actor: Actor, meal: SchoolMeal, *, inspector: bool) -> Response:
    locale = page_locale(request)
    view = meal_view(session, meal)
    samples = [sample for sample, _ in view.samples]

    return render_page(
        request, "meal_trace.html", meal=meal, view=view, inspector=inspector,
        lots=[_traced_lot(session, actor, meal, lot, samples, locale) for lot in view.lots],
        school=canteen_service.school_get(session, meal.school_id),
        people=meal_selectors.names_of_people(session, {s.taken_by for s in samples}
                                              | {c.recorded_by for c in view.companions}),
        meal_labels=MEAL_LABELS, status_labels=BATCH_STATUS_LABELS, licence_labels=LICENCE_KIND_LABELS,
        standing_labels=STANDING_LABELS, outcome_labels=OUTCOME_LABELS, verdict_labels=VERDICT_LABELS,
        test_kind_labels=TEST_KIND_LABELS, local_date=local_date, clock=clock_for(locale), today=local_today())


@router.get("/canteen/meals/{meal_id}/trace")
def canteen_meal_trace(actor: allow("work.canteen"), meal: MealForActor, request: Request,
                       session: SessionDep) -> Response:
    """From one of the school's meals: every lot, its supplier, tests and receipt, and the retained samples."""
    return _trace_page(request, session, actor, meal, inspector=False)


@router.get("/inspect/meals/{meal_id}")
def inspect_meal(actor: allow("work.inspect"), meal: MealForActor, request: Request, session: SessionDep) -> Response:
    """The same investigation screen for inspectors: any school's meal."""
    return _trace_page(request, session, actor, meal, inspector=True)
