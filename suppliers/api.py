"""Routes for suppliers, licences, the catalogue and batches (thin: services hold the rules)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from suppliers import labels, service
from suppliers.credit_code import validate_credit_code
from suppliers.licence_numbers import LICENCE_KINDS, parse_licence_number
from suppliers.models import SUPPLIER_KIND_LABELS, Licence, Supplier
from suppliers.schemas import (
    BatchCreate,
    BatchPublic,
    CertificatePublic,
    CreditCodeInfo,
    LicenceCreate,
    LicencePublic,
    ProductCreate,
    ProductPublic,
    SupplierCreate,
    SupplierPublic,
    SupplierStanding,
)
from trace.custody import Actor
from trace.db import MAX_ROW_ID
from trace.deps import ActorDep, AdminDep, SessionDep, WriteDep, require_roles
from trace.errors import Forbidden, Invalid, ReviewWarning
from trace.fields import PageLimit, PageOffset, PathId, QueryIds
from trace.i18n import label
from trace.labels import render_label_png, render_label_sheet_pdf
from trace.models import Role
from trace.queries import batch_for_reader, batches_with_lot

router = APIRouter(tags=["suppliers 供应商"])

SupplierWriter = Annotated[Actor, Depends(require_roles(Role.admin, Role.supplier))]


def licence_public(licence: Licence) -> LicencePublic:
    public = LicencePublic.model_validate(licence)
    public.kind_zh = LICENCE_KINDS[licence.kind.value]["zh"]
    try:
        parsed = parse_licence_number(licence.number, kind=licence.kind.value)
    except Invalid:
        return public  # recorded before a rule was tightened: shown as recorded
    public.category_zh, public.region_zh = parsed.category_zh, parsed.region_zh
    return public


def supplier_public(session, supplier: Supplier) -> SupplierPublic:
    public = SupplierPublic.model_validate(supplier)
    public.kind_zh = label(SUPPLIER_KIND_LABELS[supplier.kind])
    try:
        check = validate_credit_code(supplier.credit_code)
    except Invalid:
        pass  # recorded before a rule was tightened; review_warnings says why
    else:
        public.credit_code_info = CreditCodeInfo(department_zh=check.department_zh, category_zh=check.category_zh,
                                                 region=check.region, region_zh=check.region_zh,
                                                 inner_check_passed=check.inner_ok)
    public.licences = [licence_public(x) for x in service.licences_of(session, supplier.id)]
    public.review_warnings = [ReviewWarning.model_validate(w) for w in service.supplier_review_warnings(supplier)]
    return public


def product_public(session, product) -> ProductPublic:
    public = ProductPublic.model_validate(product)
    public.conversions = service.product_conversions(session, product.id)
    public.required_papers = list(service.product_required_papers(product))
    return public


def batch_public(session, batch) -> BatchPublic:
    public = BatchPublic.model_validate(batch)
    public.certificates = [CertificatePublic.model_validate(c) for c in service.certificates_of(session, batch.id)]
    return public


@router.get("/suppliers", response_model=list[SupplierPublic])
def list_suppliers(session: SessionDep, actor: ActorDep):
    """List suppliers with their licences and standing."""
    return [supplier_public(session, s) for s in service.supplier_list(session)]


@router.post("/suppliers", response_model=SupplierPublic, status_code=201)
def create_supplier(body: SupplierCreate, ctx: WriteDep, _: AdminDep):
    """Register a supplier (credit code checked per GB 32100) with its licences."""
    return ctx.run(lambda: supplier_public(ctx.session, service.supplier_create(ctx.session, actor=ctx.actor, data=body)))


@router.get("/suppliers/{supplier_id}", response_model=SupplierPublic)
def get_supplier(supplier_id: PathId, session: SessionDep, actor: ActorDep):
    """One supplier with licences and standing."""
    return supplier_public(session, service.supplier_get(session, supplier_id))


@router.post("/suppliers/{supplier_id}/licences", response_model=LicencePublic, status_code=201)
def add_licence(supplier_id: PathId, body: LicenceCreate, ctx: WriteDep, _: AdminDep):
    """Add a licence (SC/JY number format-checked) to a supplier."""
    return ctx.run(lambda: licence_public(
        service.licence_add(ctx.session, actor=ctx.actor, supplier_id=supplier_id, data=body)))


@router.post("/suppliers/{supplier_id}/standing", response_model=SupplierPublic, status_code=200)
def set_standing(supplier_id: PathId, body: SupplierStanding, ctx: WriteDep, _: AdminDep):
    """Suspend or reinstate a supplier, or mark it on the 严重违法失信名单."""
    return ctx.run(lambda: supplier_public(ctx.session, service.supplier_set_standing(
        ctx.session, actor=ctx.actor, supplier_id=supplier_id, data=body)), status_code=200)


@router.get("/products", response_model=list[ProductPublic])
def list_products(session: SessionDep, actor: ActorDep):
    """The bulk-ingredient catalogue."""
    return [product_public(session, p) for p in service.product_list(session)]


@router.post("/products", response_model=ProductPublic, status_code=201)
def create_product(body: ProductCreate, ctx: WriteDep, _: AdminDep):
    """Add a product; without a GTIN the platform assigns one from its company prefix."""
    return ctx.run(lambda: product_public(ctx.session, service.product_create(ctx.session, actor=ctx.actor, data=body)))


@router.post("/batches", response_model=BatchPublic, status_code=201)
def register_batch(body: BatchCreate, ctx: WriteDep, _: SupplierWriter):
    """A supplier registers (commissions) a lot of one product."""
    return ctx.run(lambda: batch_public(ctx.session, service.batch_register(ctx.session, actor=ctx.actor, data=body)))


SupplierFilter = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="Only this supplier's batches")]
LotCode = Annotated[str | None, Query(
    min_length=1, max_length=20,
    description="Find batches by lot code (GS1 AI 10, exact and case-sensitive) across suppliers and products; "
                "lot codes repeat, so several batches may match. Canteen staff find only lots sent to their school")]


@router.get("/batches", response_model=list[BatchPublic])
def list_batches(session: SessionDep, actor: ActorDep, supplier_id: SupplierFilter = None, lot_code: LotCode = None,
                 limit: PageLimit = 100, offset: PageOffset = 0):
    """Batches of one supplier, or by lot code, newest first (a supplier sees only its own)."""
    if actor.role == "supplier":
        if supplier_id not in (None, actor.supplier_id):
            raise Forbidden("not_your_supplier", "只能查看本供应商的批次", "You can only list your own batches")
        supplier_id = actor.supplier_id
    if lot_code is not None:
        found = batches_with_lot(session, actor, lot_code, supplier_id=supplier_id, limit=limit, offset=offset)
        return [batch_public(session, b) for b in found]
    if supplier_id is None or actor.role == "canteen_staff":
        raise Forbidden("supplier_filter_required", "请按供应商（supplier_id）或批号（lot_code）查询批次",
                        "List batches per supplier (supplier_id) or by lot code (lot_code)")
    return [batch_public(session, b) for b in service.batches_of_supplier(session, supplier_id, limit=limit, offset=offset)]


LABEL_PNG = {200: {"content": {"image/png": {}}, "description": "The label, sized to the dot"}}
LABEL_PDF = {200: {"content": {"application/pdf": {}}, "description": "A4 sheet(s) of labels"}}


@router.get("/batches/{batch_id}/label.png", response_class=Response, responses=LABEL_PNG)
def batch_label(batch_id: PathId, session: SessionDep, actor: ActorDep,
                size: Annotated[Literal["40x30", "60x40"], Query(description="Label size in mm")] = "40x30",
                dpi: Annotated[int, Query(description="Printer resolution: 203 or 300")] = 203):
    """The batch's QR label as a PNG for a 203 or 300 dpi thermal printer."""
    batch = batch_for_reader(session, actor, batch_id)
    png = render_label_png(labels.label_for_batch(session, batch), size=size, dpi=dpi, font_path=labels.label_font())
    return Response(png, media_type="image/png",
                    headers={"Content-Disposition": f'inline; filename="label-{batch.lot_code}-{size}-{dpi}dpi.png"'})


@router.get("/labels/sheet.pdf", response_class=Response, responses=LABEL_PDF)
def label_sheet(session: SessionDep, actor: ActorDep,
                batch_id: QueryIds,
                size: Annotated[Literal["40x30", "60x40"], Query()] = "60x40"):
    """A printable A4 sheet of labels for any list of batches (``?batch_id=1&batch_id=2``)."""
    contents = [labels.label_for_batch(session, batch_for_reader(session, actor, i)) for i in batch_id]
    pdf = render_label_sheet_pdf(contents, font_path=labels.label_font(), size=size)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": 'inline; filename="labels.pdf"'})


@router.get("/batches/{batch_id}", response_model=BatchPublic)
def get_batch(batch_id: PathId, session: SessionDep, actor: ActorDep):
    """One batch, if the caller may see it."""
    return batch_public(session, batch_for_reader(session, actor, batch_id))
