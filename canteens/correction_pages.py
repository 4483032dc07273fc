"""The canteen staff's pages to correct a receipt or a kitchen use (canteens.corrections).

``/canteen/receipts/{id}/correct`` and ``/canteen/uses/{id}/correct``: the record as it stands with
every record of its chain of corrections (已更正 / 更正记录), and a form for the whole new
quantities and the reason. The form posts to the same address and, once written, redirects to the
new record's page (post/redirect/get); a refusal comes back on the form in the page's language.
Who may open them is "work.canteen"; another school's record is "not found" (load-or-404).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from canteens import corrections
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.corrections_api import UseForSchool
from canteens.current import receipt_history, use_history
from canteens.deps import ReceiptForReader
from canteens.models import MEAL_LABELS, KitchenUse, Receipt
from suppliers import service as supplier_service
from trace.clock import local_date
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError, Invalid
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow
from trace.settings import get_settings

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=500)]


def _message(request: Request, error: DomainError) -> str:
    return error.zh if page_locale(request) == "zh-CN" else error.en


def _number(text: str, *, zh: str, en: str) -> Decimal:
    try:
        number = Decimal(text.strip() or "0")
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise Invalid("form_number_invalid", f"{zh}须为不小于 0 的数字", f"The {en} must be a number, 0 or more")
    return number


def _lot(session: SessionDep, batch_id: int) -> dict:
    batch = supplier_service.batch_get(session, batch_id)
    return {"batch": batch, "product": supplier_service.product_get(session, batch.product_id)}


# --- receipts --------------------------------------------------------------------------------------


def _receipt_page(request: Request, session: SessionDep, receipt: Receipt, *, status: int = 200,
                  error: str | None = None, form: dict[str, str] | None = None, done: bool = False) -> Response:
    history = receipt_history(session, receipt)
    return render_page(request, "canteens/correct_receipt.html", status=status, receipt=receipt, history=history,
                       newest=history[-1], error=error, done=done, local_date=local_date,
                       window_hours=get_settings().correction_window_hours,
                       form=form or {"accepted": f"{receipt.accepted_quantity.normalize():f}",
                                     "rejected": f"{receipt.rejected_quantity.normalize():f}",
                                     "rejection_reason": receipt.rejection_reason, "reason": ""},
                       **_lot(session, receipt.batch_id))


@router.get("/canteen/receipts/{receipt_id}/correct")
def receipt_correction_form(_: allow("work.canteen"), receipt: ReceiptForReader, request: Request,
                            session: SessionDep, done: bool = False) -> Response:
    """A receipt with its corrections, and the form to correct it (only the newest may be corrected)."""
    return _receipt_page(request, session, receipt, done=done)


@router.post("/canteen/receipts/{receipt_id}/correct")
def receipt_correction(actor: allow("work.canteen"), receipt: ReceiptForReader, request: Request,
                       session: SessionDep, accepted: FormText = "", rejected: FormText = "",
                       rejection_reason: FormText = "", reason: FormText = "") -> Response:
    """Correct the receipt (a new record naming it), then show the new record (post/redirect/get)."""
    form = {"accepted": accepted, "rejected": rejected, "rejection_reason": rejection_reason, "reason": reason}
    try:
        try:
            data = ReceiptCorrection(
                accepted_quantity=_number(accepted, zh="验收数量", en="accepted quantity"),
                rejected_quantity=_number(rejected, zh="拒收数量", en="rejected quantity"),
                unit=receipt.unit, rejection_reason=rejection_reason, reason=reason.strip() or " ")
        except ValidationError as invalid:
            raise Invalid("correction_form_invalid", "数量最多保留三位小数", "Quantities take at most three decimals") \
                from invalid
        with write_transaction(session):
            new = corrections.receipt_correct(session, actor=actor, receipt_id=receipt.id, data=data)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _receipt_page(request, session, receipt, status=refused.status, error=_message(request, refused),
                             form=form)
    return see_other(f"/canteen/receipts/{new.id}/correct?done=1")


# --- kitchen uses ----------------------------------------------------------------------------------


def _use_page(request: Request, session: SessionDep, use: KitchenUse, *, status: int = 200,
              error: str | None = None, form: dict[str, str] | None = None, done: bool = False) -> Response:
    history = use_history(session, use)
    return render_page(request, "canteens/correct_use.html", status=status, use=use, history=history,
                       newest=history[-1], error=error, done=done, meal_labels=MEAL_LABELS,
                       window_hours=get_settings().correction_window_hours, local_date=local_date,
                       form=form or {"quantity": f"{use.quantity.normalize():f}", "reason": ""},
                       **_lot(session, use.batch_id))


@router.get("/canteen/uses/{use_id}/correct")
def use_correction_form(_: allow("work.canteen"), use: UseForSchool, request: Request, session: SessionDep,
                        done: bool = False) -> Response:
    """A kitchen use with its corrections, and the form to correct it (0: the use did not happen)."""
    return _use_page(request, session, use, done=done)


@router.post("/canteen/uses/{use_id}/correct")
def use_correction(actor: allow("work.canteen"), use: UseForSchool, request: Request, session: SessionDep,
                   quantity: FormText = "", reason: FormText = "") -> Response:
    """Correct the use (a new record naming it), then show the new record (post/redirect/get)."""
    form = {"quantity": quantity, "reason": reason}
    try:
        try:
            data = UseCorrection(quantity=_number(quantity, zh="出库数量", en="quantity"), unit=use.unit,
                                 reason=reason.strip() or " ")
        except ValidationError as invalid:
            raise Invalid("correction_form_invalid", "数量最多保留三位小数", "Quantities take at most three decimals") \
                from invalid
        with write_transaction(session):
            new = corrections.use_correct(session, actor=actor, use_id=use.id, data=data)
            session.commit()
    except DomainError as refused:
        session.rollback()
        return _use_page(request, session, use, status=refused.status, error=_message(request, refused), form=form)
    return see_other(f"/canteen/uses/{new.id}/correct?done=1")
