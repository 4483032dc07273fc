"""The key data elements of a lot or a date range: one sortable row per critical tracking event.

The FSMA 204 idea (docs: standards.md): what a regulator asks for within 24 hours, as
discrete, sortable columns, never free text. The critical tracking events are the
supplier's shipping, the canteen's receiving (验收), the kitchen's use (出库) and a meal's
transformation (one row per lot that went into it). Each row names the EPCIS event id
of the same event in the EPCIS export (two, space-separated, for a receipt accepted in part),
and the custody event it comes from; a corrected event gives way to its correction.

Headers are zh-CN; ``lang="en"`` writes the English ones instead (one header row, so the
sheet sorts and filters cleanly). XLSX: dates are real dates shown as 2025年9月1日,
quantities real numbers, the header frozen, an auto-filter over every column. CSV: UTF-8
with a BOM (Excel then reads Chinese correctly), dates as YYYY-MM-DD.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from canteens.models import MEAL_LABELS, Meal
from exports.directory import Directory
from exports.epcis import EpcisMapper, Progress
from exports.scope import ExportScope, corrected_event_ids, event_count, events_in_scope
from trace.clock import local_date
from trace.i18n import N_, label
from trace.models import CustodyEvent


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # an English msgid; the zh-CN header is its translation in the catalog
    kind: str  # text, number, date
    width: int


COLUMNS = (
    Column("event", N_("Critical tracking event"), "text", 12),
    Column("lot_code", N_("Traceability lot code"), "text", 16),
    Column("gtin", N_("GTIN"), "text", 17),
    Column("product", N_("Product description"), "text", 24),
    Column("quantity", N_("Quantity"), "number", 10),
    Column("unit", N_("Unit of measure"), "text", 8),
    Column("rejected_quantity", N_("Rejected quantity"), "number", 10),
    Column("supplier", N_("Supplier"), "text", 28),
    Column("lot_code_source", N_("Lot code source (credit code)"), "text", 22),
    Column("ship_from", N_("Ship-from location"), "text", 28),
    Column("ship_to", N_("Receive location"), "text", 24),
    Column("event_date", N_("Event date"), "date", 15),
    Column("ship_date", N_("Ship date"), "date", 15),
    Column("receive_date", N_("Receive date"), "date", 15),
    Column("production_date", N_("Production date"), "date", 15),
    Column("expiry_date", N_("Expiry date"), "date", 15),
    Column("order_number", N_("Purchase order number"), "text", 22),
    Column("shipment_number", N_("Shipment (despatch advice) number"), "text", 12),
    Column("meal", N_("Meal and dish"), "text", 20),
    Column("epcis_event_id", N_("EPCIS event ID"), "text", 40),
    Column("custody_event_id", N_("Platform custody event ID"), "text", 38),
    Column("corrects", N_("Corrects custody event ID"), "text", 38),
)
EVENT_LABELS = {"shipping": N_("Shipping"), "receiving": N_("Receiving"), "dispensing": N_("Use (kitchen)"),
                "transforming": N_("Transformation (meal)")}
CHINESE_DATE_FORMAT = 'yyyy"年"m"月"d"日"'
ISO_DATE_FORMAT = "yyyy-mm-dd"
KDE_STEPS = ("shipping", "receiving", "dispensing", "commissioning")


def headers(lang: str) -> list[str]:
    return [label(c.header, lang) for c in COLUMNS]


def _meal_text(meal: str | None, dish: str | None, lang: str) -> str:
    text = label(MEAL_LABELS[Meal(meal)], lang) if meal in {m.value for m in Meal} else (meal or "")
    return f"{text} {dish}".strip() if dish else text


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class KdeRows:
    def __init__(self, session: Session, scope: ExportScope, base_url: str, lang: str) -> None:
        self.session, self.scope, self.lang = session, scope, lang
        self.directory = Directory(session, base_url)
        self.mapper = EpcisMapper(self.directory)

    def _is_kde(self, event: CustodyEvent) -> bool:
        if event.stream.startswith("meal:"):
            return event.biz_step == "commissioning"
        return event.biz_step in KDE_STEPS[:3]

    def rows(self, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        total, done = (event_count(self.session, self.scope), 0) if progress else (0, 0)
        # A row states what is now known: an event a later one corrects gives way to its correction
        # (which names it); the EPCIS export keeps both, with the error declaration.
        superseded = corrected_event_ids(self.session, self.scope)
        for page in events_in_scope(self.session, self.scope):
            wanted = [e for e in page if self._is_kde(e) and e.event_id not in superseded]
            extra = [lot["batch_id"] for e in wanted if e.stream.startswith("meal:")
                     for lot in json.loads(e.payload).get("input_quantity_list", [])]
            self.directory.load(wanted, extra_batch_ids=extra)
            for event in wanted:
                yield from self._rows_of(event)
            done += len(page)
            if progress:
                progress(done, total)

    def _name(self, step: str) -> str:
        return label(EVENT_LABELS[step], self.lang)

    def _lot_fields(self, batch_id: int) -> dict[str, Any]:
        d = self.directory
        lot = d.lots[batch_id]
        supplier = d.suppliers[lot.supplier_id]
        return {"lot_code": lot.lot_code, "gtin": lot.gtin, "product": lot.product, "unit": lot.unit,
                "supplier": supplier.name, "lot_code_source": supplier.key,
                "ship_from": f"{supplier.name}（{supplier.address}）" if supplier.address else supplier.name,
                "production_date": lot.production_date, "expiry_date": lot.expiry_date}

    def _rows_of(self, event: CustodyEvent) -> Iterator[dict[str, Any]]:
        payload = json.loads(event.payload)
        epcis_ids = [item["eventID"] for item in self.mapper.events(event)]
        common = {"epcis_event_id": " ".join(epcis_ids), "custody_event_id": event.event_id,
                  "corrects": event.corrects_event_id, "event_date": local_date(event.occurred_at)}
        school = self.directory.schools.get(event.school_id) if event.school_id else None
        if event.stream.startswith("meal:"):
            output = payload.get("output", {})
            for lot in payload.get("input_quantity_list", []):
                if self.scope.is_lot and lot["batch_id"] not in self.scope.batch_ids:
                    continue
                yield common | self._lot_fields(lot["batch_id"]) | {
                    "event": self._name("transforming"), "quantity": _decimal(lot["quantity"]), "unit": lot["unit"],
                    "ship_to": school.name if school else "", "meal": _meal_text(output.get("meal"), "", self.lang)}
            return
        assert event.batch_id is not None
        row = common | self._lot_fields(event.batch_id) | {"ship_to": school.name if school else ""}
        shipment = self.directory.shipments.get(int(event.subject_id)) if event.subject_type == "shipment" else None
        if shipment is not None:
            row |= {"order_number": shipment.order_number, "shipment_number": str(shipment.shipment_id),
                    "ship_date": shipment.ship_date}
        if event.biz_step == "shipping":
            row |= {"event": self._name("shipping"), "quantity": _decimal(payload.get("quantity"))}
        elif event.biz_step == "receiving":
            row |= {"event": self._name("receiving"), "quantity": _decimal(payload.get("accepted_quantity")),
                    "rejected_quantity": _decimal(payload.get("rejected_quantity")),
                    "receive_date": date.fromisoformat(payload["receipt_date"]) if payload.get("receipt_date")
                    else common["event_date"]}
        else:
            row |= {"event": self._name("dispensing"), "quantity": _decimal(payload.get("quantity")),
                    "meal": _meal_text(payload.get("meal"), payload.get("dish"), self.lang)}
        yield row


def write_kde_xlsx(session: Session, scope: ExportScope, out: IO[bytes], *, base_url: str, lang: str = "zh-CN",
                   progress: Progress | None = None, created: datetime | None = None) -> int:
    """The rows as an XLSX workbook (openpyxl's write-only mode: rows go to disk as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(label(N_("Key data elements"), lang))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for text in headers(lang):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    date_format = ISO_DATE_FORMAT if lang == "en" else CHINESE_DATE_FORMAT
    count = 0
    for row in KdeRows(session, scope, base_url, lang).rows(progress):
        cells = []
        for column in COLUMNS:
            value = row.get(column.key)
            if column.kind == "number" and value is not None:
                value = float(value)  # a real number in the sheet; quantities are kept to the gram
            cell = WriteOnlyCell(sheet, value=value)
            if column.kind == "date" and value is not None:
                cell.number_format = date_format
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    about = workbook.create_sheet(label(N_("About"), lang))
    for line in _about(scope, count, created, lang):
        about.append(line)
    workbook.save(out)
    return count


def _about(scope: ExportScope, count: int, created: datetime | None, lang: str) -> list[list[Any]]:
    what = scope.name.removeprefix("lot-") if scope.is_lot else f"{scope.date_from} – {scope.date_to}"
    moment = (created or datetime.now().astimezone()).isoformat(timespec="seconds")
    return [[label(N_("Key data elements of critical tracking events (the FSMA 204 idea)"), lang)],
            [label(N_("Lot") if scope.is_lot else N_("Dates"), lang), what],
            [label(N_("Rows"), lang), count], [label(N_("Created"), lang), moment],
            [label(N_("Each row's EPCIS event ID is the GS1 Event Hash ID of the same event in the EPCIS export."),
                   lang)]]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_kde_csv(session: Session, scope: ExportScope, out: IO[bytes], *, base_url: str, lang: str = "zh-CN",
                  progress: Progress | None = None) -> int:
    """The rows as CSV: UTF-8 with a BOM, one header row."""
    out.write(codecs.BOM_UTF8)
    text = codecs.getwriter("utf-8")(out)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headers(lang))
    count = 0
    for row in KdeRows(session, scope, base_url, lang).rows(progress):
        writer.writerow([_csv_value(row.get(c.key)) for c in COLUMNS])
        count += 1
    return count
