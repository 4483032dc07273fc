"""The canteen staff's pages: today's deliveries, the stock and the kitchen use of their own school.

Who may open them is ``trace.policy``'s "work.canteen" (canteen staff); the school is always the
signed-in person's own, so no id in a URL can name another school's records. The use form posts
to ``canteens.service.use_create`` and redirects (PRG); its errors come back on the form.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from canteens import device_sync, meal_selectors, selectors, service
from canteens.models import MEAL_LABELS, Meal
from canteens.receiving_pages import pending_checks
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from suppliers.models import BATCH_STATUS_LABELS, BatchStatus
from trace.clock import local_today, local_zone
from trace.db import utcnow, write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=200)]


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


def _sealed_by_tests(session: SessionDep, school_id: int, today: date,
                     lots: list[selectors.StockLot] | None = None) -> list[selectors.StockLot]:
    """Lots on hand that a failed test sealed: every page of the canteen says so (issue 13)."""
    lots = selectors.stock_lots(session, school_id, today=today) if lots is None else lots
    held = [lot for lot in lots if lot.batch.status == BatchStatus.on_hold]
    failing = inspection_service.batches_failing_tests(session, {lot.batch.id for lot in held})
    return [lot for lot in held if lot.batch.id in failing]


@router.get("/canteen/deliveries")
def deliveries(actor: allow("work.canteen"), request: Request, session: SessionDep) -> Response:
    """今日到货: what the school's orders expect today and in the next days, and what is overdue."""
    today = local_today()
    found = selectors.deliveries_of_school(session, actor.school_id, today=today)
    return render_page(request, "canteens/deliveries.html", deliveries=found, today=today,
                       sealed_lots=_sealed_by_tests(session, actor.school_id, today),
                       school=service.school_get(session, actor.school_id), arrival_labels=selectors.ARRIVAL_LABELS,
                       status_labels=BATCH_STATUS_LABELS, pending=pending_checks(session, actor.school_id),
                       sync_refusals=device_sync.refusals_waiting(session, actor.school_id))


@router.get("/canteen/stock")
def stock(actor: allow("work.canteen"), request: Request, session: SessionDep) -> Response:
    """库存: the school's stock per lot, what may not be used first, days to expiry and the meals each went into."""
    today = local_today()
    lots = selectors.stock_lots(session, actor.school_id, today=today)
    return render_page(request, "canteens/stock.html", lots=lots, today=today,
                       sealed_lots=_sealed_by_tests(session, actor.school_id, today, lots),
                       meals=meal_selectors.meals_of_lots(session, actor.school_id, [lot.batch.id for lot in lots]),
                       meal_labels=MEAL_LABELS, school=service.school_get(session, actor.school_id),
                       usability_labels=selectors.USABILITY_LABELS, status_labels=BATCH_STATUS_LABELS)


def _uses_page(request: Request, session: SessionDep, school_id: int, day: date, *, status: int = 200,
               error: str | None = None, form: dict[str, str] | None = None, recorded: bool = False) -> Response:
    today = local_today()
    usable = [lot for lot in selectors.stock_lots(session, school_id, today=today) if lot.usable]
    return render_page(request, "canteens/uses.html", status=status, day=day, today=today,
                       uses=selectors.uses_on(session, school_id, day), usable=usable, meals=list(Meal),
                       meal_labels=MEAL_LABELS, error=error, form=form or {"meal": _meal_of_the_hour().value},
                       recorded=recorded, school=service.school_get(session, school_id))


def _meal_of_the_hour() -> Meal:
    """The form starts at the meal the kitchen is most likely cooking now."""
    hour = utcnow().astimezone(local_zone()).hour
    return Meal.breakfast if hour < 10 else (Meal.lunch if hour < 15 else Meal.dinner)


@router.get("/canteen/uses")
def uses(actor: allow("work.canteen"), request: Request, session: SessionDep,
         day: Annotated[date | None, Query()] = None, recorded: bool = False) -> Response:
    """厨房领用: the kitchen use of one day (today by default) and the form to record one."""
    return _uses_page(request, session, actor.school_id, day or local_today(), recorded=recorded)


@router.post("/canteen/uses")
def use_record(actor: allow("work.canteen"), request: Request, session: SessionDep, batch_id: FormText = "",
               quantity: FormText = "", meal: FormText = "", dish: FormText = "") -> Response:
    """Record a use from the form, then back to the day's list (post/redirect/get)."""
    today = local_today()
    form = {"batch_id": batch_id, "quantity": quantity, "meal": meal, "dish": dish}
    try:
        data = _use_from_form(session, actor.school_id, today, form)
        with write_transaction(session):
            service.use_create(session, actor=actor, data=data)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _uses_page(request, session, actor.school_id, today, status=refused.status,
                          error=_message(request, refused), form=form)
    return see_other(f"/canteen/uses?day={today.isoformat()}&recorded=1")


def _use_from_form(session: SessionDep, school_id: int, today: date, form: dict[str, str]) -> UseCreate:
    """The form's text as a use; what cannot be read is refused with a message for the form."""
    lot = next((lot for lot in selectors.stock_lots(session, school_id, today=today)
                if str(lot.batch.id) == form["batch_id"].strip()), None)
    if lot is None:
        raise Invalid("batch_required", "请选择库存中的批次", "Choose a lot from the stock")
    try:
        amount = Decimal(form["quantity"].strip())
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0:
        raise Invalid("quantity_required", "请填写大于 0 的数量", "Enter a quantity greater than 0")
    if form["meal"] not in {m.value for m in Meal}:
        raise Invalid("meal_required", "请选择餐次", "Choose the meal")
    try:
        return UseCreate(batch_id=lot.batch.id, quantity=amount, unit=lot.stock.unit, use_date=today,
                         meal=Meal(form["meal"]), dish=form["dish"].strip())
    except ValidationError as invalid:
        raise Invalid("use_form_invalid", "数量最多保留三位小数，菜品名称不超过 100 字",
                      "Quantities take at most three decimals; a dish name at most 100 characters") from invalid
