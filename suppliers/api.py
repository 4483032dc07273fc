"""Routes for suppliers, licences, the catalogue and batches (thin: services hold the rules)."""

from __future__ import annotations

from fastapi import APIRouter

from suppliers import service
from suppliers.public import batch_public, licence_public, product_public, supplier_public
from suppliers.schemas import (
    BatchCreate,
    BatchPublic,
    LicenceCreate,
    LicencePublic,
    ProductCreate,
    ProductPublic,
    SupplierCreate,
    SupplierPublic,
    SupplierStanding,
)
from trace.deps import SessionDep, WriteDep
from trace.fields import PathId
from trace.policy import allow

router = APIRouter(tags=["suppliers 供应商"])


@router.get("/suppliers", response_model=list[SupplierPublic])
def list_suppliers(_: allow("supplier.read"), session: SessionDep):
    """List suppliers with their licences and standing."""
    return [supplier_public(session, s) for s in service.supplier_list(session)]


@router.post("/suppliers", response_model=SupplierPublic, status_code=201)
def create_supplier(_: allow("supplier.register"), body: SupplierCreate, ctx: WriteDep):
    """Register a supplier (credit code checked per GB 32100) with its licences."""
    return ctx.run(lambda: supplier_public(ctx.session, service.supplier_create(ctx.session, actor=ctx.actor, data=body)))


@router.get("/suppliers/{supplier_id}", response_model=SupplierPublic)
def get_supplier(_: allow("supplier.read"), supplier_id: PathId, session: SessionDep):
    """One supplier with licences and standing."""
    return supplier_public(session, service.supplier_get(session, supplier_id))


@router.post("/suppliers/{supplier_id}/licences", response_model=LicencePublic, status_code=201)
def add_licence(_: allow("licence.add"), supplier_id: PathId, body: LicenceCreate, ctx: WriteDep):
    """Add a licence (SC/JY number format-checked) to a supplier."""
    return ctx.run(lambda: licence_public(
        service.licence_add(ctx.session, actor=ctx.actor, supplier_id=supplier_id, data=body)))


@router.post("/suppliers/{supplier_id}/standing", response_model=SupplierPublic, status_code=200)
def set_standing(_: allow("supplier.standing"), supplier_id: PathId, body: SupplierStanding, ctx: WriteDep):
    """Suspend or reinstate a supplier, or mark it on the 严重违法失信名单."""
    return ctx.run(lambda: supplier_public(ctx.session, service.supplier_set_standing(
        ctx.session, actor=ctx.actor, supplier_id=supplier_id, data=body)), status_code=200)


@router.get("/products", response_model=list[ProductPublic])
def list_products(_: allow("product.read"), session: SessionDep):
    """The bulk-ingredient catalogue."""
    return [product_public(session, p) for p in service.product_list(session)]


@router.post("/products", response_model=ProductPublic, status_code=201)
def create_product(_: allow("product.create"), body: ProductCreate, ctx: WriteDep):
    """Add a product; without a GTIN the platform assigns one from its company prefix."""
    return ctx.run(lambda: product_public(ctx.session, service.product_create(ctx.session, actor=ctx.actor, data=body)))


@router.post("/batches", response_model=BatchPublic, status_code=201)
def register_batch(_: allow("batch.register"), body: BatchCreate, ctx: WriteDep):
    """A supplier registers (commissions) a lot of one product."""
    return ctx.run(lambda: batch_public(ctx.session, service.batch_register(ctx.session, actor=ctx.actor, data=body)))
