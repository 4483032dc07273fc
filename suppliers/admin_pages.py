"""The administrator's read-only registers of suppliers (licences, standing) and products.

Reads through the suppliers' service and selectors; nothing is changed here (suppliers
and products are registered through the API). Admin only: ``admin.records.read``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from suppliers import overview, service
from suppliers.licence_numbers import LICENCE_KINDS
from suppliers.models import LICENCE_KIND_LABELS, STORAGE_LABELS, SUPPLIER_KIND_LABELS
from trace.account_admin import AccountFilter, accounts_find
from trace.clock import local_today
from trace.deps import SessionDep
from trace.fields import PathId
from trace.models import ROLE_LABELS
from trace.pages import render_page
from trace.policy import allow

router = APIRouter(include_in_schema=False)

# A licence this close to its end is shown as expiring (time to ask for the renewed one).
EXPIRING_WITHIN_DAYS = 60


def _labels() -> dict[str, object]:
    return {"kind_labels": SUPPLIER_KIND_LABELS, "licence_labels": LICENCE_KIND_LABELS,
            "standing_labels": overview.STANDING_LABELS, "expiring_within": EXPIRING_WITHIN_DAYS,
            "today": local_today()}


@router.get("/admin/suppliers")
def supplier_register(request: Request, _: allow("admin.records.read"), session: SessionDep) -> Response:
    """Every supplier: credit code, kind, standing, and each licence with its expiry."""
    suppliers = service.supplier_list(session)
    rows = [{"supplier": s, "standing": overview.standing_of(s), "licences": service.licences_of(session, s.id)}
            for s in suppliers]
    return render_page(request, "suppliers/admin/suppliers.html", rows=rows, **_labels())


@router.get("/admin/suppliers/{supplier_id}")
def supplier_record(request: Request, _: allow("admin.records.read"), session: SessionDep,
                    supplier_id: PathId) -> Response:
    """One supplier: standing, whether it may supply today, licences, products supplied, its accounts."""
    supplier = service.supplier_get(session, supplier_id)
    return render_page(
        request, "suppliers/admin/supplier.html", supplier=supplier, standing=overview.standing_of(supplier),
        refusal=overview.supply_refusal(session, supplier, local_today()),
        licences=service.licences_of(session, supplier.id), licence_kinds=LICENCE_KINDS,
        warnings=service.supplier_review_warnings(supplier), supplied=overview.products_supplied(session, supplier.id),
        accounts=accounts_find(session, AccountFilter(supplier_id=supplier.id), limit=200).users,
        role_labels=ROLE_LABELS, **_labels())


@router.get("/admin/products")
def product_register(request: Request, _: allow("admin.records.read"), session: SessionDep) -> Response:
    """The catalogue: GTIN, unit, storage, the papers its lots carry and the rapid test at the door."""
    products = service.product_list(session)
    rapid_tests = getattr(request.app.state, "rapid_test_names", {})
    rows = [{"product": p, "papers": service.product_required_papers(p),
             "rapid_test": rapid_tests.get(p.rapid_test, p.rapid_test) if p.rapid_test else None} for p in products]
    return render_page(request, "suppliers/admin/products.html", rows=rows, storage_labels=STORAGE_LABELS)
