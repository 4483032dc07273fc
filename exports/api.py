"""Export routes: an EPCIS 2.0 document, and the key data elements as XLSX or CSV.

Each takes one scope — ``batch_id``, ``lot`` (with ``gtin`` where a lot code repeats), or
``from`` and ``to`` — and answers a file that names its own SHA-256 (``Repr-Digest``,
``X-Content-SHA256``). Who sees which events: ``exports.scope``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import Session
from starlette.responses import StreamingResponse

from exports.epcis import write_epcis_document
from exports.files import ExportFile, file_response, finish, spooled_file
from exports.kde import write_kde_csv, write_kde_xlsx
from exports.scope import ExportScope, export_scope
from trace.custody import Actor
from trace.db import MAX_ROW_ID
from trace.deps import SessionDep
from trace.policy import allow
from trace.settings import get_settings

router = APIRouter(prefix="/exports", tags=["exports 导出"])

BatchId = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID, description="One batch")]
Lot = Annotated[str | None, Query(min_length=1, max_length=20,
                                  description="A lot code (GS1 AI 10): every batch with it the caller may see")]
Gtin = Annotated[str | None, Query(pattern=r"^\d{8}$|^\d{12,14}$", description="With lot: only this product's lot")]
DateFrom = Annotated[date | None, Query(alias="from", description="First local day included, YYYY-MM-DD")]
DateTo = Annotated[date | None, Query(alias="to", description="Last local day included, YYYY-MM-DD")]
Lang = Annotated[Literal["zh-CN", "en"], Query(description="Header language: zh-CN (default) or en")]

DIGEST_HEADERS = {
    "Repr-Digest": {"description": "RFC 9530: sha-256=:<base64 of the SHA-256 of the body>:",
                    "schema": {"type": "string"}},
    "X-Content-SHA256": {"description": "The SHA-256 of the body, hex", "schema": {"type": "string"}},
}


def _responses(media_type: str, what: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {media_type: {}}, "description": what, "headers": DIGEST_HEADERS}}


def _export(session: Session, actor: Actor, *, batch_id: int | None, lot: str | None, gtin: str | None,
            date_from: date | None, date_to: date | None,
            write: Callable[[ExportScope, IO[bytes]], object], media_type: str, suffix: str) -> StreamingResponse:
    scope = export_scope(session, actor, batch_id=batch_id, lot=lot, gtin=gtin, date_from=date_from, date_to=date_to)
    file = spooled_file()
    try:
        write(scope, file)
        export: ExportFile = finish(file, media_type=media_type, filename=f"{scope.name}{suffix}")
    except BaseException:
        file.close()
        raise
    return file_response(export)


@router.get("/epcis", response_class=StreamingResponse,
            responses=_responses("application/ld+json", "An EPCISDocument (EPCIS 2.0 JSON-LD)"))
def export_epcis(actor: allow("export.read"), session: SessionDep, batch_id: BatchId = None, lot: Lot = None,
                 gtin: Gtin = None, date_from: DateFrom = None, date_to: DateTo = None):
    """The custody events of a lot or a date range as an EPCIS 2.0 document, with GS1 event-hash ids."""
    base = get_settings().resolver_base_url
    return _export(session, actor, batch_id=batch_id, lot=lot, gtin=gtin, date_from=date_from, date_to=date_to,
                   write=lambda scope, out: write_epcis_document(session, scope, out, base_url=base),
                   media_type="application/ld+json", suffix=".epcis.jsonld")


@router.get("/kde.xlsx", response_class=StreamingResponse,
            responses=_responses("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 "The key data elements as a workbook"))
def export_kde_xlsx(actor: allow("export.read"), session: SessionDep, batch_id: BatchId = None, lot: Lot = None,
                    gtin: Gtin = None, date_from: DateFrom = None, date_to: DateTo = None, lang: Lang = "zh-CN"):
    """Key data elements (FSMA 204 idea): one sortable row per shipping, receiving, use and meal transformation."""
    base = get_settings().resolver_base_url
    return _export(session, actor, batch_id=batch_id, lot=lot, gtin=gtin, date_from=date_from, date_to=date_to,
                   write=lambda scope, out: write_kde_xlsx(session, scope, out, base_url=base, lang=lang),
                   media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   suffix=".kde.xlsx")


@router.get("/kde.csv", response_class=StreamingResponse,
            responses=_responses("text/csv", "The key data elements as CSV (UTF-8 with BOM)"))
def export_kde_csv(actor: allow("export.read"), session: SessionDep, batch_id: BatchId = None, lot: Lot = None,
                   gtin: Gtin = None, date_from: DateFrom = None, date_to: DateTo = None, lang: Lang = "zh-CN"):
    """The same key data elements as CSV, UTF-8 with a BOM so that Excel reads the Chinese."""
    base = get_settings().resolver_base_url
    return _export(session, actor, batch_id=batch_id, lot=lot, gtin=gtin, date_from=date_from, date_to=date_to,
                   write=lambda scope, out: write_kde_csv(session, scope, out, base_url=base, lang=lang),
                   media_type="text/csv; charset=utf-8", suffix=".kde.csv")
