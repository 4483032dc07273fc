"""Routes for schools, orders, shipments, receipts, stock and kitchen use (thin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from canteens import service
from canteens.current import receipts_public, uses_public
from canteens.deps import OrderForReader, ReceiptForReader, SchoolForActor, ShipmentForReader, ShipmentForShipper
from canteens.schemas import (
    CanteenPublic,
    OrderCreate,
    OrderLinePublic,
    OrderPublic,
    OrderRevise,
    OrderRevisionPublic,
    ReceiptPublic,
    SchoolCreate,
    SchoolPublic,
    ShipmentCreate,
    ShipmentPublic,
    StockPublic,
    UseCreate,
    UsePublic,
)
from suppliers import labels
from suppliers import service as supplier_service
from suppliers.licence_numbers import LICENCE_KINDS, parse_licence_number
from suppliers.models import BatchStatus
from trace.clock import local_today
from trace.db import MAX_ROW_ID
from trace.deps import SessionDep, WriteDep
from trace.errors import Invalid, ReviewWarning
from trace.fields import PageLimit, PageOffset, PathId
from trace.labels import render_label_sheet_pdf
from trace.policy import SupplierScope, allow

router = APIRouter(tags=["canteens 学校食堂"])


def school_public(session, school) -> SchoolPublic:
    public = SchoolPublic.model_validate(school)
    canteen = service.canteen_of(session, school.id)
    public.canteen = CanteenPublic.model_validate(canteen) if canteen else None
    if public.canteen is not None:
        public.canteen.licence_kind_zh = LICENCE_KINDS["food_business"]["zh"]
        try:
            licence = parse_licence_number(canteen.licence_number, kind="food_business")
        except Invalid:
            pass  # recorded before a rule was tightened; review_warnings says why
        else:
            public.canteen.licence_business_type_zh = licence.category_zh
            public.canteen.licence_region_zh = licence.region_zh
    public.review_warnings = [ReviewWarning.model_validate(w) for w in service.canteen_review_warnings(canteen)]
    return public


def order_public(session, order) -> OrderPublic:
    return OrderPublic(
        id=order.id, order_number=order.order_number, school_id=order.school_id, supplier_id=order.supplier_id,
        current_revision=order.current_revision,
        revisions=[OrderRevisionPublic(**revision.model_dump(), lines=[OrderLinePublic.model_validate(x) for x in lines])
                   for revision, lines in service.order_revisions(session, order.id)],
    )


@router.get("/schools", response_model=list[SchoolPublic])
def list_schools(_: allow("school.read"), session: SessionDep):
    """All schools with their canteens."""
    return [school_public(session, s) for s in service.school_list(session)]


@router.post("/schools", response_model=SchoolPublic, status_code=201)
def create_school(_: allow("school.register"), body: SchoolCreate, ctx: WriteDep):
    """Register a school and its canteen (食品经营许可证 JY3…)."""
    return ctx.run(lambda: school_public(ctx.session, service.school_create(ctx.session, actor=ctx.actor, data=body)))


@router.get("/schools/{school_id}", response_model=SchoolPublic)
def get_school(_: allow("school.read"), school_id: PathId, session: SessionDep):
    """One school with its canteen."""
    return school_public(session, service.school_get(session, school_id))


@router.post("/orders", response_model=OrderPublic, status_code=201)
def create_order(_: allow("order.record"), body: OrderCreate, ctx: WriteDep):
    """Record an order as it comes from the procurement platform (revision 1)."""
    return ctx.run(lambda: order_public(ctx.session, service.order_create(ctx.session, actor=ctx.actor, data=body)))


@router.post("/orders/{order_number}/revisions", response_model=OrderPublic, status_code=201)
def revise_order(_: allow("order.record"), order_number: str, body: OrderRevise, ctx: WriteDep):
    """Record a change to an order as a new revision; earlier revisions stay."""
    return ctx.run(lambda: order_public(ctx.session, service.order_revise(
        ctx.session, actor=ctx.actor, order_number=order_number, data=body)))


@router.get("/orders/{order_number}", response_model=OrderPublic)
def get_order(_: allow("order.read"), order: OrderForReader, session: SessionDep):
    """An order with every revision."""
    return order_public(session, order)


@router.post("/shipments", response_model=ShipmentPublic, status_code=201)
def create_shipment(_: allow("shipment.create"), body: ShipmentCreate, ctx: WriteDep):
    """A supplier ships part of its batch against an order line."""
    return ctx.run(lambda: ShipmentPublic.model_validate(service.shipment_create(ctx.session, actor=ctx.actor, data=body)))


@router.get("/shipments/{shipment_id}", response_model=ShipmentPublic)
def get_shipment(_: allow("shipment.read"), shipment: ShipmentForReader):
    """One shipment (its supplier, its school, inspectors and admins)."""
    return ShipmentPublic.model_validate(shipment)


@router.get("/shipments/{shipment_id}/labels.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def shipment_labels(_: allow("shipment.labels"), shipment: ShipmentForShipper, session: SessionDep,
                    copies: Annotated[int, Query(ge=1, le=200, description="Labels to print (one per package)")] = 1,
                    size: Annotated[Literal["40x30", "60x40"], Query()] = "60x40"):
    """A4 sheet of labels for one shipment, showing the quantity shipped."""
    batch = supplier_service.batch_get(session, shipment.batch_id)
    content = labels.label_for_batch(session, batch, quantity=shipment.quantity)
    pdf = render_label_sheet_pdf([content] * copies, font_path=labels.label_font(), size=size)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="shipment-{shipment.id}-labels.pdf"'})


@router.post("/uses", response_model=UsePublic, status_code=201)
def create_use(_: allow("use.create"), body: UseCreate, ctx: WriteDep):
    """出库: take a quantity of a batch into the kitchen for a meal."""
    return ctx.run(lambda: UsePublic.model_validate(service.use_create(ctx.session, actor=ctx.actor, data=body)))


def stock_public(stock, batch, today: date) -> StockPublic:
    return StockPublic(
        school_id=stock.school_id, batch_id=stock.batch_id, received_quantity=stock.received_quantity,
        used_quantity=stock.used_quantity, on_hand=stock.on_hand, unit=stock.unit, product_id=batch.product_id,
        supplier_id=batch.supplier_id, gtin=batch.gtin, lot_code=batch.lot_code, status=batch.status,
        expiry_date=batch.expiry_date, days_to_expiry=(batch.expiry_date - today).days,
        usable=batch.status == BatchStatus.active and today <= batch.expiry_date,
    )


@router.get("/schools/{school_id}/stock", response_model=list[StockPublic])
def school_stock(
    _: allow("stock.read"), school: SchoolForActor, session: SessionDep,
    include_empty: Annotated[bool, Query(description="Also lots used up (nothing on hand)")] = False,
    status: Annotated[list[BatchStatus] | None, Query(
        description="Only lots in these statuses, e.g. `?status=on_hold&status=recalled`")] = None,
):
    """What a canteen holds, per lot, with each lot's status (held, recalled) and days to expiry."""
    today = local_today()
    return [stock_public(stock, batch, today) for stock, batch in service.stock_lots_of_school(
        session, school.id, only_on_hand=not include_empty, statuses=status or ())]


DateFrom = Annotated[date | None, Query(
    alias="from", description="First day included: a local date (Asia/Shanghai, TRACE_TIMEZONE), YYYY-MM-DD")]
DateTo = Annotated[date | None, Query(
    alias="to", description="Last day included: a local date (Asia/Shanghai, TRACE_TIMEZONE), YYYY-MM-DD")]


@router.get("/receipts/{receipt_id}", response_model=ReceiptPublic)
def get_receipt(_: allow("receipt.read"), receipt: ReceiptForReader, session: SessionDep):
    """One receipt (its school, the supplier that shipped it, inspectors and admins)."""
    return receipts_public(session, [receipt])[0]


@router.get("/schools/{school_id}/receipts", response_model=list[ReceiptPublic])
def school_receipts(_: allow("receipt.read"), school: SchoolForActor, session: SessionDep,
                    supplier_id: SupplierScope, date_from: DateFrom = None,
                    date_to: DateTo = None, limit: PageLimit = 100, offset: PageOffset = 0):
    """A school's receipts by receipt date, oldest first (a supplier sees only what it shipped). A corrected
    receipt is listed with its correction, each naming the other; only the newest counts."""
    return receipts_public(session, service.receipts_of_school(
        session, school.id, supplier_id=supplier_id, date_from=date_from, date_to=date_to, limit=limit, offset=offset))


@router.get("/schools/{school_id}/uses", response_model=list[UsePublic])
def school_uses(_: allow("use.read"), school: SchoolForActor, session: SessionDep, date_from: DateFrom = None,
                date_to: DateTo = None,
                batch_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="Only this batch")] = None,
                limit: PageLimit = 100, offset: PageOffset = 0):
    """A school's kitchen use (出库) by use date, oldest first. A corrected use is listed with its correction,
    each naming the other; only the newest counts."""
    return uses_public(session, service.uses_of_school(
        session, school.id, batch_id=batch_id, date_from=date_from, date_to=date_to, limit=limit, offset=offset))
