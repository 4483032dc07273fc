"""The GS1 Digital Link resolver behind every batch QR, and the public batch page.

``/01/{GTIN-14}/10/{lot}``: a browser is redirected (307) to the default link, the
public batch page in the language it asks for; ``Accept: application/linkset+json``
or ``?linkType=all`` gets an RFC 9264 linkset; ``?linkType=gs1:…`` goes to that one
link. Read-side like ``trace.queries``, so it may look up other domains' records.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import bindparam, select

from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import OUTCOME_LABELS, TEST_KIND_LABELS, TestResult
from suppliers import service as supplier_service
from suppliers.models import (
    LICENCE_KIND_LABELS,
    STORAGE_LABELS,
    SUPPLIER_KIND_LABELS,
    Batch,
    BatchCertificate,
    Licence,
    Product,
    Supplier,
)
from trace.clock import local_date
from trace.deps import SessionDep
from trace.digital_link import build_digital_link, parse_digital_link
from trace.errors import DomainError
from trace.fields import PathId
from trace.i18n import label, negotiate_locale, render, translations
from trace.policy import public
from trace.settings import get_settings

router = APIRouter(tags=["resolver GS1 数字链接"],
                   dependencies=[public("a QR label on a batch opens these for anyone, parents first")])

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
DEFAULT_LINK_TYPE = "pip"


class LinkedBatch(Protocol):
    """What a batch's links are built from: a Batch, or a row of these columns."""

    id: int | None
    gtin: str
    lot_code: str


def _result_name(test, locale: str) -> str:
    """A rapid test reads 阴性 / 阳性（待确证）, never 合格 / 不合格 (domain.md §4.2); a laboratory's outcome is its own."""
    if test.verdict is not None:
        return label(rapid_tests.VERDICT_LABELS[rapid_tests.Verdict(test.verdict)], locale)
    return label(OUTCOME_LABELS[test.outcome], locale)


def batch_uri(batch: LinkedBatch) -> str:
    return build_digital_link(get_settings().resolver_base_url, batch.gtin, batch.lot_code)


def _absolute(path: str) -> str:
    return get_settings().resolver_base_url.rstrip("/") + path


def batch_links(batch: LinkedBatch) -> dict[str, list[dict[str, Any]]]:
    """Every link a batch has, by GS1 link type (without the vocabulary prefix)."""
    page = f"/public/batches/{batch.id}"
    return {
        "pip": [
            {"href": _absolute(f"{page}?lang=zh-CN"), "title": "批次追溯信息", "hreflang": ["zh-CN"], "type": "text/html"},
            {"href": _absolute(f"{page}?lang=en"), "title": "Batch traceability record", "hreflang": ["en"],
             "type": "text/html"},
        ],
        "traceability": [{"href": _absolute(f"{page}/traceability.json"), "title": "追溯数据 Traceability data",
                          "type": "application/json"}],
        "certificationInfo": [{"href": _absolute(f"{page}/certificates.json"), "title": "随货证明 Certificates",
                               "type": "application/json"}],
    }


def linkset(batch: LinkedBatch) -> dict[str, Any]:
    links = batch_links(batch)
    entry: dict[str, Any] = {"anchor": batch_uri(batch)}
    for link_type, targets in links.items():
        entry[GS1_VOC + link_type] = targets
    entry[GS1_VOC + "defaultLink"] = [links[DEFAULT_LINK_TYPE][0]]
    return {"linkset": [entry]}


def _wants_linkset(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return False
    return LINKSET_TYPE in accept or "application/json" in accept


def _link_type_name(value: str) -> str:
    for prefix in ("gs1:", GS1_VOC):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def _pick(targets: list[dict[str, Any]], locale: str) -> dict[str, Any]:
    for target in targets:
        if locale in target.get("hreflang", []):
            return target
    return targets[0]


def error_page(request: Request, status: int, error: DomainError, *, about_batch: bool = True,
               headers: Mapping[str, str] | None = None) -> Response:
    """A refusal as the scanning phone should see it: a page in its language (JSON for JSON clients).

    ``about_batch=False`` for an address that is no batch link at all (a mistyped path).
    """
    if _wants_linkset(request):
        return JSONResponse(error.as_body(), status_code=status, headers=headers)
    locale = negotiate_locale(request.headers.get("accept-language"), request.query_params.get("lang"))
    _ = translations(locale).gettext
    if about_batch:
        heading = _("Batch not found") if status == 404 else _("This is not a valid batch code")
    else:
        heading = _("Page not found") if status == 404 else _("This request cannot be served")
    message = error.zh if locale == "zh-CN" else error.en
    return HTMLResponse(render("resolver_error.html", locale, heading=heading, message=message), status_code=status,
                        headers=headers)


# Every scan lands here: a prebuilt Core read of the three columns the links are built
# from (the same lookup as suppliers.service.batch_by_digital_link, without the ORM).
_BATCH_BY_LINK = select(Batch.__table__.c.id, Batch.__table__.c.gtin, Batch.__table__.c.lot_code).where(
    Batch.__table__.c.gtin == bindparam("gtin"), Batch.__table__.c.lot_code == bindparam("lot"))


@router.get("/01/{rest:path}", include_in_schema=True, summary="Resolve a batch's GS1 Digital Link")
def resolve(request: Request, session: SessionDep, rest: str) -> Response:
    """307 to the page (browsers), an RFC 9264 linkset (JSON clients, ``?linkType=all``), or one link."""
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    try:
        key = parse_digital_link(raw_path + ("?" + request.url.query if request.url.query else ""))
    except DomainError as error:
        return error_page(request, 400, error)
    batch = session.connection().execute(_BATCH_BY_LINK, {"gtin": key.gtin14, "lot": key.lot}).first()
    if batch is None:
        return error_page(request, 404, DomainError(
            "batch_not_found", f"没有找到批号为 {key.lot} 的批次（GTIN {key.gtin14}）",
            f"No batch with lot {key.lot} (GTIN {key.gtin14})"))
    link_type = _link_type_name(request.query_params.get("linkType", ""))
    if link_type == "all" or (not link_type and _wants_linkset(request)):
        return JSONResponse(linkset(batch), media_type=LINKSET_TYPE)
    links = batch_links(batch)
    locale = negotiate_locale(request.headers.get("accept-language"), request.query_params.get("lang"))
    target = _pick(links.get(link_type) or links[DEFAULT_LINK_TYPE], locale)
    return RedirectResponse(target["href"], status_code=307, headers={
        "Link": f'<{batch_uri(batch)}?linkType=all>; rel="linkset"; type="{LINKSET_TYPE}"',
        "Vary": "Accept, Accept-Language",
    })


@router.get("/.well-known/gs1resolver", summary="GS1 resolver description")
def resolver_description() -> dict[str, Any]:
    """What this resolver resolves and which link types it offers."""
    return {
        "name": "章丘区校园食堂大宗食材追溯平台 GS1 Digital Link resolver",
        "resolverRoot": get_settings().resolver_base_url.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedQualifiers": {"01": ["10"]},
        "linkTypeDefaultCanBeLinkset": False,
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:", "profile": GS1_VOC + t}
                              for t in ("pip", "traceability", "certificationInfo", "defaultLink")],
        "supportedContextValuesEnumerated": [],
        "validDataAttributes": ["11", "17"],
        "languages": ["zh-CN", "en"],
    }


# --- the public batch page and its data ------------------------------------------------------


def _public_batch(session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise DomainError("batch_not_found", f"批次 {batch_id} 不存在", f"Batch {batch_id} not found", status=404)
    return batch


# The page is read by every phone that scans a label, so it reads with four prebuilt
# Core statements (the batch with its product and supplier, then its lists) instead of
# six ORM queries built per request: the ORM's statement building and row loading were
# most of the page's time. Rows answer the same attribute names the template reads.
_BATCH_PRODUCT_SUPPLIER = (
    select(Batch.__table__, *(c.label(f"product__{c.key}") for c in Product.__table__.c),
           *(c.label(f"supplier__{c.key}") for c in Supplier.__table__.c))
    .join(Product.__table__, Product.__table__.c.id == Batch.__table__.c.product_id)
    .join(Supplier.__table__, Supplier.__table__.c.id == Batch.__table__.c.supplier_id)
    .where(Batch.__table__.c.id == bindparam("batch_id"))
)
_LICENCES = (select(Licence.__table__.c.kind, Licence.__table__.c.number, Licence.__table__.c.expires_on)
             .where(Licence.__table__.c.supplier_id == bindparam("supplier_id"))
             .order_by(Licence.__table__.c.expires_on))
_CERTIFICATES = (select(BatchCertificate.__table__.c.kind, BatchCertificate.__table__.c.number)
                 .where(BatchCertificate.__table__.c.batch_id == bindparam("batch_id"))
                 .order_by(BatchCertificate.__table__.c.id))
_TESTS = (select(TestResult.__table__.c.kind, TestResult.__table__.c.outcome, TestResult.__table__.c.verdict,
                 TestResult.__table__.c.tested_at)
          .where(TestResult.__table__.c.batch_id == bindparam("batch_id"))
          .order_by(TestResult.__table__.c.tested_at))


def _prefixed(row: Any, prefix: str) -> SimpleNamespace:
    return SimpleNamespace(**{key.removeprefix(prefix): value for key, value in row._mapping.items()
                              if key.startswith(prefix)})


@router.get("/public/batches/{batch_id}", response_class=HTMLResponse, summary="Public batch page")
def public_batch_page(request: Request, batch_id: PathId, session: SessionDep) -> Response:
    """The page a parent or canteen worker sees after scanning a batch QR."""
    connection = session.connection()
    row = connection.execute(_BATCH_PRODUCT_SUPPLIER, {"batch_id": batch_id}).first()
    if row is None:
        return error_page(request, 404, DomainError("batch_not_found", "没有找到该批次", "Batch not found"))
    locale = negotiate_locale(request.headers.get("accept-language"), request.query_params.get("lang"))
    product = _prefixed(row, "product__")
    tests = connection.execute(_TESTS, {"batch_id": batch_id}).all()
    html = render(
        "public_batch.html", locale, batch=row, product=product, supplier=(supplier := _prefixed(row, "supplier__")),
        supplier_kind_label=SUPPLIER_KIND_LABELS[supplier.kind], licence_kind_labels=LICENCE_KIND_LABELS,
        licences=connection.execute(_LICENCES, {"supplier_id": row.supplier_id}).all(),
        certificates=connection.execute(_CERTIFICATES, {"batch_id": batch_id}).all(),
        tests=[{"kind": t.kind, "outcome": t.outcome, "tested_on": local_date(t.tested_at),
                "result": _result_name(t, locale)} for t in tests],
        test_kind_labels=TEST_KIND_LABELS, storage_label=STORAGE_LABELS[product.storage],
        traceability_href=f"/public/batches/{batch_id}/traceability.json",
    )
    return HTMLResponse(html, headers={"Content-Language": locale, "Vary": "Accept-Language"})


@router.get("/public/batches/{batch_id}/traceability.json", summary="Public traceability data of a batch")
def public_traceability(batch_id: PathId, session: SessionDep) -> dict[str, Any]:
    """What the public may know of a batch: product, supplier, dates, certificates, tests, custody steps."""
    batch = _public_batch(session, batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    supplier = supplier_service.supplier_get(session, batch.supplier_id)
    from trace.custody import events_for_batch

    return {
        "digital_link": batch_uri(batch),
        "gtin": batch.gtin, "lot": batch.lot_code, "status": batch.status.value,
        "product": {"name": product.name, "category": product.category.value, "storage": product.storage.value},
        "supplier": {"name": supplier.name, "credit_code": supplier.credit_code},
        "production_date": batch.production_date.isoformat(), "expiry_date": batch.expiry_date.isoformat(),
        "origin": batch.origin,
        "certificates": [{"kind": c.kind, "number": c.number} for c in supplier_service.certificates_of(session, batch.id)],
        "tests": [{"kind": t.kind, "method": t.method, "outcome": t.outcome.value, "verdict": t.verdict,
                   "retest_of_id": t.retest_of_id, "tested_at": t.tested_at.isoformat()}
                  for t in inspection_service.tests_of_batch(session, batch.id)],
        "custody": [{"biz_step": e.biz_step, "disposition": e.disposition, "occurred_at": e.occurred_at.isoformat(),
                     "tz_offset": e.tz_offset, "hash": e.hash} for e in events_for_batch(session, batch.id)],
    }


@router.get("/public/batches/{batch_id}/certificates.json", summary="Certificates that travel with a batch")
def public_certificates(batch_id: PathId, session: SessionDep) -> dict[str, Any]:
    """随货证明: 承诺达标合格证, 动物检疫合格证明, test reports, and the supplier's licences."""
    batch = _public_batch(session, batch_id)
    return {
        "digital_link": batch_uri(batch),
        "certificates": [{"kind": c.kind, "number": c.number, "issued_by": c.issued_by,
                          "issued_on": c.issued_on.isoformat() if c.issued_on else None}
                         for c in supplier_service.certificates_of(session, batch.id)],
        "supplier_licences": [{"kind": x.kind.value, "number": x.number,
                               "expires_on": x.expires_on.isoformat() if x.expires_on else None}
                              for x in supplier_service.licences_of(session, batch.supplier_id)],
    }
