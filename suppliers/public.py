"""The Public shapes of suppliers, licences, products and batches, built from their rows.

Shared by this domain's routes, inspections' status routes and the batch reads on the top floor.
"""

from __future__ import annotations

from sqlalchemy import Row, select

from suppliers import service
from suppliers.credit_code import validate_credit_code
from suppliers.licence_numbers import LICENCE_KINDS, parse_licence_number
from suppliers.models import SUPPLIER_KIND_LABELS, Batch, Licence, Product, Supplier
from suppliers.schemas import (
    BatchPublic,
    CertificatePublic,
    CreditCodeInfo,
    LicencePublic,
    ProductPublic,
    SupplierPublic,
)
from trace.errors import Invalid, ReviewWarning
from trace.i18n import label


def batches_for_lot_lookup(session, lot_code: str, *, limit: int = 50) -> list[Row]:
    """Batches a lot code typed from a label names, for anyone: id, lot, production date, product and supplier.

    Labels print lot codes in capitals; people often type them in lower case. Both spellings
    are looked up exactly, so the lot index serves the query.
    """
    statement = (select(Batch.id, Batch.lot_code, Batch.production_date, Product.name, Supplier.name)
                 .join(Product, Product.id == Batch.product_id).join(Supplier, Supplier.id == Batch.supplier_id)
                 .where(Batch.lot_code.in_({lot_code, lot_code.upper()})).order_by(Batch.id).limit(limit))
    return list(session.execute(statement).all())


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
