"""Actions a canteen's phone queued while offline, applied once when it syncs (issue 12 §6).

A phone at the back door often has no network. ``static/offline.js`` keeps the submit of a
``form[data-offline]`` on the device with a client operation id and posts the queue to
``POST /api/v1/sync/operations`` when the network returns. Here each queued action is:

- applied once: its client operation id is unique in ``device_operation``, so a queue sent
  twice — a retry, two tabs syncing at once — answers the second time with the stored outcome;
- applied by the same rules as online, as the signed-in staff member, in a savepoint of
  its own: a refusal (a hold that arrived meanwhile, stock already used) undoes only itself;
- dated by the device: the time it happened on the phone is the custody event's
  ``occurred_at`` (the event's ``recorded_at`` is its arrival), within bounds — a device
  clock too far in the future or an action too old is refused;
- kept when refused, for a staff member of the school to resolve with a note on
  ``/canteen/sync``; nothing is dropped silently.

``KINDS`` is the one place an action's kind is named: what the form's ``data-offline`` says,
how its body is read and which service applies it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from canteens import kitchen, meal_selectors, meals, receipt_checks
from canteens.meal_schemas import MealUseCreate
from canteens.models import Shipment, Stock
from canteens.schemas import ReceiptCheckCreate, UseCreate
from canteens.sync_models import DeviceOperation, OperationStatus
from suppliers import service as supplier_service
from trace.clock import local_date
from trace.custody import Actor
from trace.db import utcnow
from trace.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from trace.fields import RowId
from trace.i18n import N_
from trace.settings import get_settings


class FormBody(BaseModel):
    """A queued body as a phone's form saved it: every value a string, a field left untouched
    an empty string, a repeated name (ticked papers, re-test readings) a list — or one string
    when the form had one such input. An empty field is an absent one (its default, or the
    body's own refusal when it is required), and a lone value of a list field is a list of one."""

    @model_validator(mode="before")
    @classmethod
    def _form_values(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        lists = {name for name, field in cls.model_fields.items() if _is_list(field.annotation)}
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name in lists and not isinstance(item, list):
                item = [item]
            if isinstance(item, list):
                item = [v for v in item if not _blank(v)]
            elif _blank(item):
                continue
            out[name] = item
        return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list


class QueuedUse(FormBody, UseCreate):
    """The kitchen-use form as the phone saved it: the day is the one it happened on the
    device, and the unit the lot's own, unless the body names them."""

    unit: str | None = Field(default=None, min_length=1, max_length=10)  # type: ignore[assignment]
    use_date: date | None = None  # type: ignore[assignment]


Apply = Callable[[Session, Actor, Any, datetime, int | None], tuple[str, int]]


@dataclass(frozen=True)
class Kind:
    body: type[BaseModel]
    apply: Apply
    label: str  # an English msgid: what the action was, on /canteen/sync


def _apply_use(session: Session, actor: Actor, data: QueuedUse, at: datetime, _meal_id: int | None) -> tuple[str, int]:
    unit = data.unit or supplier_service.product_get(
        session, supplier_service.batch_get(session, data.batch_id).product_id).unit
    use = kitchen.use_create(session, actor=actor, occurred_at=at, data=UseCreate(
        school_id=data.school_id, batch_id=data.batch_id, quantity=data.quantity, unit=unit,
        use_date=data.use_date or local_date(at), meal=data.meal, dish=data.dish))
    return "kitchen_use", use.id


class QueuedMealUse(FormBody, MealUseCreate):
    """The meal's 出库 form as the phone saved it: the lot named by its code (typed, scanned: a
    lot code or the label's Digital Link) or picked from the stock list; the code wins, as on
    the page. The unit is the lot's own unless the body names it."""

    lot_code: str | None = Field(default=None, max_length=300)
    batch_id: RowId | None = None  # type: ignore[assignment]
    unit: str | None = Field(default=None, min_length=1, max_length=10)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _names_a_lot(self) -> QueuedMealUse:
        if self.lot_code is None and self.batch_id is None:
            raise ValueError("lot_code or batch_id")
        return self


def _apply_meal_use(session: Session, actor: Actor, data: QueuedMealUse, at: datetime,
                    meal_id: int | None) -> tuple[str, int]:
    if meal_id is None:
        raise Invalid("meal_required", "未指明餐次：请在餐次页面重新出库", "No meal was named: record the use from the meal's page")
    batch_id, unit = data.batch_id, data.unit
    if data.lot_code is not None:
        # The school's stock as it is now: none or several lots of that code is a refusal to resolve.
        lot = meal_selectors.stock_lot_by_code(session, _assert_staff(actor), data.lot_code, today=local_date(at))
        batch_id, unit = lot.batch.id, unit or lot.stock.unit
    assert batch_id is not None  # _names_a_lot
    unit = unit or supplier_service.product_get(session, supplier_service.batch_get(session, batch_id).product_id).unit
    use = meals.meal_use(session, actor=actor, meal_id=meal_id, batch_id=batch_id, quantity=data.quantity,
                         unit=unit, dish=data.dish, occurred_at=at)
    return "kitchen_use", use.id


class QueuedReceiptCheck(FormBody, ReceiptCheckCreate):
    """The receiving form as the phone saved it: the receipt day is the one it happened on the
    device unless the body names it (a page kept offline may be a day old), and a field left
    empty on the form is no reading at all."""

    receipt_date: date | None = None  # type: ignore[assignment]


def _apply_receipt_check(session: Session, actor: Actor, data: QueuedReceiptCheck, at: datetime,
                         _meal_id: int | None) -> tuple[str, int]:
    """The first checker's check opens on the device's time; a second staff member confirms it
    online (their password cannot be checked on a phone without a network)."""
    if data.receipt_date is None:
        data = data.model_copy(update={"receipt_date": local_date(at)})
    return "receipt_check", receipt_checks.check_open(session, actor=actor, data=data, occurred_at=at).id


KINDS: dict[str, Kind] = {
    "use": Kind(QueuedUse, _apply_use, N_("Kitchen use")),
    "meal-use": Kind(QueuedMealUse, _apply_meal_use, N_("Use into a meal")),
    "receipt-check": Kind(QueuedReceiptCheck, _apply_receipt_check, N_("Receiving check")),
}


class QueuedOperation(BaseModel):
    """One action as the phone queued it (the items of ``POST /sync/operations``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "client_operation_id": "0b6c2f7e-3c1d-4a8e-9f20-5d7b1e6a4c11", "kind": "use",
        "body": {"batch_id": "1", "quantity": "12.5", "meal": "lunch", "dish": "米饭"},
        "device_occurred_at": "2025-11-03T11:02:40+08:00"}]})

    client_operation_id: str = Field(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
                                     description="A UUID the device made when it saved the action")
    kind: str = Field(min_length=1, max_length=40, description="What the form's data-offline says: use, meal-use…")
    body: dict[str, Any] = Field(description="The form's fields (a repeated name as a list)")
    meal_id: RowId | None = Field(default=None, description="The meal, for a use into a meal")
    device_occurred_at: AwareDatetime = Field(description="When it happened on the device, with its UTC offset")


@dataclass(frozen=True)
class SyncOutcome:
    """What the server answers for one queued action; ``already_known`` when it had it before."""

    client_operation_id: str
    status: OperationStatus
    already_known: bool
    operation: DeviceOperation | None = None  # None only for an id another person used
    refusal: DomainError | None = None


def operation_known(session: Session, client_operation_id: str) -> DeviceOperation | None:
    return session.execute(select(DeviceOperation).where(
        DeviceOperation.client_operation_id == client_operation_id)).scalar_one_or_none()


def _assert_staff(actor: Actor) -> int:
    if actor.role != "canteen_staff" or actor.school_id is None:
        raise Forbidden("sync_staff_only", "只有学校食堂人员可以同步手机上保存的操作",
                        "Only a school's canteen staff sync actions saved on a phone")
    return actor.school_id


def _offset_minutes(at: datetime) -> int:
    offset = at.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _time_refusal(occurred: datetime, received: datetime) -> DomainError | None:
    settings = get_settings()
    ahead = occurred - received
    if ahead > timedelta(seconds=settings.device_sync_max_skew_seconds):
        minutes = int(ahead.total_seconds() // 60)
        return Invalid("device_time_in_future",
                       f"手机上记录的时间比服务器晚约 {minutes} 分钟：请校准手机时间后重新录入",
                       f"The phone's time is about {minutes} minutes ahead of the server's: set the phone's "
                       "clock and record it again")
    if received - occurred > timedelta(hours=settings.device_sync_max_age_hours):
        hours = settings.device_sync_max_age_hours
        return Invalid("device_operation_too_old",
                       f"该操作在手机上保存超过 {hours} 小时才提交，未自动记录：请核对后重新录入",
                       f"This action waited on the phone more than {hours} hours and was not recorded "
                       "automatically: check it and record it again")
    return None


def _read_body(kind: Kind, body: dict[str, Any]) -> Any:
    try:
        return kind.body.model_validate(body)
    except ValidationError as invalid:
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in invalid.errors()})
        raise Invalid("operation_body_invalid", f"手机上保存的内容不完整或无效（{', '.join(fields)}）",
                      f"What the phone saved is incomplete or invalid ({', '.join(fields)})",
                      fields=fields) from invalid


def _apply(session: Session, actor: Actor, operation: QueuedOperation) -> tuple[str, int]:
    kind = KINDS.get(operation.kind)
    if kind is None:
        raise Invalid("operation_kind_unknown", f"服务器不认识这类操作（{operation.kind}）",
                      f"The server does not know this kind of action ({operation.kind})")
    return kind.apply(session, actor, _read_body(kind, operation.body), operation.device_occurred_at,
                      operation.meal_id)


def operation_submit(session: Session, *, actor: Actor, operation: QueuedOperation,
                     received_at: datetime | None = None) -> SyncOutcome:
    """Apply one queued action once, or answer with what became of it the first time.

    Flushes; the caller commits each operation in a transaction of its own. Two syncs of
    the same queue at once: the second to insert the operation's row fails on the unique
    client operation id, its transaction (and whatever it applied) is rolled back, and it
    answers with the stored outcome — see ``operation_submit_once``.
    """
    school_id = _assert_staff(actor)
    known = operation_known(session, operation.client_operation_id)
    if known is not None:
        return _known_outcome(actor, known)
    received_at = received_at or utcnow()
    occurred = operation.device_occurred_at
    row = DeviceOperation(
        client_operation_id=operation.client_operation_id, user_id=actor.user_id, school_id=school_id,
        kind=operation.kind[:40], body=json.dumps(operation.body, ensure_ascii=False), meal_id=operation.meal_id,
        device_occurred_at=occurred, device_utc_offset_minutes=_offset_minutes(occurred),
        received_at=received_at, status=OperationStatus.applied)
    refusal = _time_refusal(occurred, received_at)
    if refusal is None:
        try:
            with session.begin_nested():
                row.record_type, row.record_id = _apply(session, actor, operation)
        except DomainError as refused:
            refusal = refused
    if refusal is not None:
        row.status = OperationStatus.refused
        row.refusal_code, row.refusal_zh, row.refusal_en = refusal.code[:60], refusal.zh[:500], refusal.en[:500]
    session.add(row)
    session.flush()
    return SyncOutcome(row.client_operation_id, row.status, already_known=False, operation=row)


def _known_outcome(actor: Actor, known: DeviceOperation) -> SyncOutcome:
    if known.user_id != actor.user_id:
        # A client operation id is a random UUID: another person's is a forged or broken queue.
        refusal = Conflict("operation_id_taken", "该操作编号已被其他人的操作使用，未记录",
                           "This operation id belongs to another person's action; nothing was recorded")
        return SyncOutcome(known.client_operation_id, OperationStatus.refused, already_known=False,
                           refusal=refusal)
    return SyncOutcome(known.client_operation_id, known.status, already_known=True, operation=known)


def operation_submit_once(session: Session, *, actor: Actor, operation: QueuedOperation,
                          write: Callable[[], Any]) -> SyncOutcome:
    """``operation_submit`` in its own transaction: ``write`` opens it (the caller's write lock).

    The one place in this domain that commits, as a job does: each queued action is a
    transaction of its own, so one refusal or one race never undoes the others.
    """
    try:
        with write():
            outcome = operation_submit(session, actor=actor, operation=operation)
            session.commit()
            return outcome
    except IntegrityError:
        session.rollback()
        # Another sync of the same queue committed this operation first: its outcome stands.
        known = operation_known(session, operation.client_operation_id)
        if known is None:
            raise
        return _known_outcome(actor, known)
    except BaseException:
        session.rollback()
        raise


def refusals_of_school(session: Session, school_id: int, *, resolved: bool = False,
                       limit: int = 100) -> list[DeviceOperation]:
    """Refused actions waiting for a person (oldest first), or the latest resolved ones."""
    status = OperationStatus.resolved if resolved else OperationStatus.refused
    order = DeviceOperation.resolved_at.desc() if resolved else DeviceOperation.device_occurred_at
    return list(session.execute(select(DeviceOperation).where(
        DeviceOperation.school_id == school_id, DeviceOperation.status == status)
        .order_by(order, DeviceOperation.id).limit(limit)).scalars())


def refusals_waiting(session: Session, school_id: int) -> int:
    return session.execute(select(func.count()).select_from(DeviceOperation).where(
        DeviceOperation.school_id == school_id, DeviceOperation.status == OperationStatus.refused)).scalar_one()


def operation_resolve(session: Session, *, actor: Actor, operation_id: int, note: str,
                      now: datetime | None = None) -> DeviceOperation:
    """A staff member of the school says how a refused action was dealt with (e.g. 已退回供应商)."""
    school_id = _assert_staff(actor)
    row = session.get(DeviceOperation, operation_id)
    if row is None or row.school_id != school_id:
        raise NotFound("operation_not_found", f"同步记录 {operation_id} 不存在", f"Synced action {operation_id} not found",
                       operation_id=operation_id)
    note = note.strip()
    if not note:
        raise Invalid("resolution_note_required", "请写明如何处理（例如：已退回供应商、已重新录入）",
                      "Say how it was dealt with (e.g. returned to the supplier, recorded again)")
    if len(note) > 500:
        raise Invalid("resolution_note_too_long", "处理说明不超过 500 字", "The note takes at most 500 characters")
    # Conditional, so two staff resolving at once resolve it once.
    done = session.execute(update(DeviceOperation).where(
        DeviceOperation.id == row.id, DeviceOperation.status == OperationStatus.refused).values(
        status=OperationStatus.resolved, resolved_by=actor.user_id, resolved_at=now or utcnow(),
        resolution_note=note))
    if done.rowcount != 1:
        raise Conflict("operation_not_waiting", "这条记录已处理过或不是被拒的操作",
                       "This action was already resolved or was not refused", operation_id=operation_id)
    session.refresh(row)
    return row


def operation_body(row: DeviceOperation) -> dict[str, Any]:
    """The action's fields as the phone saved them (for the page that shows a refusal)."""
    try:
        body = json.loads(row.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def kind_label(kind: str) -> str | None:
    found = KINDS.get(kind)
    return found.label if found else None


@dataclass(frozen=True)
class OperationView:
    """A synced action as a person reads it: what it was, on which lot, and its outcome."""

    operation: DeviceOperation
    label: str | None  # the kind's msgid; None for a kind the server does not know
    body: dict[str, Any]
    batch: Any = None
    product: Any = None


def _in_stock_of(session: Session, school_id: int, batch_id: int) -> bool:
    return session.execute(select(Stock.id).where(Stock.school_id == school_id, Stock.batch_id == batch_id)).first() \
        is not None


def operation_views(session: Session, rows: list[DeviceOperation]) -> list[OperationView]:
    views = []
    for row in rows:
        body = operation_body(row)
        batch = product = None
        batch_id = str(body.get("batch_id", "")).strip()
        shipment_id = str(body.get("shipment_id", "")).strip()
        if not batch_id and shipment_id.isdigit() and len(shipment_id) < 12:
            # A receiving check names its delivery; named only if it was sent to the school.
            shipment = session.get(Shipment, int(shipment_id))
            if shipment is not None and shipment.school_id == row.school_id:
                batch = supplier_service.batch_get(session, shipment.batch_id)
                product = supplier_service.product_get(session, batch.product_id)
        # Named only if it reached the school: a body could name any id.
        if batch_id.isdigit() and len(batch_id) < 12 and _in_stock_of(session, row.school_id, int(batch_id)):
            try:
                batch = supplier_service.batch_get(session, int(batch_id))
                product = supplier_service.product_get(session, batch.product_id)
            except NotFound:
                batch = None
        views.append(OperationView(row, kind_label(row.kind), body, batch, product))
    return views
