"""The key-data-element spreadsheet: one sortable row per shipping, receiving, use and meal
transformation of a lot, with exactly the quantities recorded, as XLSX and as CSV."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime

import openpyxl
import pytest

from exports.kde import CHINESE_DATE_FORMAT, COLUMNS, headers, write_kde_csv, write_kde_xlsx
from exports.scope import export_scope
from tests.exports.export_world import make_export_world
from tests.factories import days_ago, today
from trace.custody import Actor
from trace.models import Role

BASE = "https://trace.example.cn"
COLUMN = {c.key: i for i, c in enumerate(COLUMNS)}


@pytest.fixture
def scene(session):
    return make_export_world(session)


@pytest.fixture
def inspector():
    return Actor(None, Role.inspector.value)


def workbook(session, actor, lang="zh-CN", **asked):
    out = io.BytesIO()
    write_kde_xlsx(session, export_scope(session, actor, **asked), out, base_url=BASE, lang=lang)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_a_lot_has_one_row_per_critical_tracking_event_with_its_exact_quantities(session, scene, inspector):
    sheet = workbook(session, inspector, batch_id=scene.batch.id).worksheets[0]
    found = sorted((r[COLUMN["event"]], r[COLUMN["quantity"]], r[COLUMN["rejected_quantity"]]) for r in rows_of(sheet))
    assert found == sorted([("发货", 400, None), ("发货", 100, None), ("发货", 50, None),
                            ("验收", 400, 0), ("验收", 60, 40), ("验收", 0, 50),
                            ("出库领用", 25, None), ("出库领用", 30, None), ("加工成餐", 25, None)])


def test_each_row_names_the_lot_supplier_places_and_documents(session, scene, inspector):
    sheet = workbook(session, inspector, batch_id=scene.batch.id).worksheets[0]
    world = scene.world
    received = [r for r in rows_of(sheet) if r[COLUMN["event"]] == "验收" and r[COLUMN["quantity"]] == 400][0]
    assert received[COLUMN["lot_code"]] == scene.batch.lot_code and received[COLUMN["gtin"]] == scene.batch.gtin
    assert received[COLUMN["product"]] == world.product.name and received[COLUMN["unit"]] == "kg"
    assert received[COLUMN["supplier"]] == world.supplier.name
    assert received[COLUMN["lot_code_source"]] == world.supplier.credit_code
    assert received[COLUMN["ship_to"]] == world.school.name
    assert received[COLUMN["shipment_number"]] == str(scene.shipments[0].id)
    assert received[COLUMN["order_number"]].startswith("ZQCG-")
    assert received[COLUMN["ship_date"]] == datetime.combine(days_ago(3), datetime.min.time())
    assert received[COLUMN["receive_date"]] == datetime.combine(days_ago(3), datetime.min.time())
    assert received[COLUMN["epcis_event_id"]].startswith("ni:///sha-256;")


def test_a_corrected_receipt_gives_way_to_its_correction(session, scene, inspector):
    rows = rows_of(workbook(session, inspector, batch_id=scene.batch.id).worksheets[0])
    ids = {r[COLUMN["custody_event_id"]] for r in rows}
    assert scene.corrected_event_id not in ids and scene.correction_event_id in ids
    correction = next(r for r in rows if r[COLUMN["custody_event_id"]] == scene.correction_event_id)
    assert correction[COLUMN["corrects"]] == scene.corrected_event_id


def test_the_sheet_is_sortable_dates_are_dates_in_chinese_and_quantities_are_numbers(session, scene, inspector):
    sheet = workbook(session, inspector, date_from=days_ago(7), date_to=today()).worksheets[0]
    assert [c.value for c in sheet[1]] == headers("zh-CN")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(COLUMNS))}{sheet.max_row}"
    assert sheet.column_dimensions["D"].width == COLUMNS[3].width
    for row in sheet.iter_rows(min_row=2):
        event_date = row[COLUMN["event_date"]]
        assert isinstance(event_date.value, datetime) and event_date.number_format == CHINESE_DATE_FORMAT
        assert isinstance(row[COLUMN["quantity"]].value, int | float)


def test_english_headers_are_one_switch_away(session, scene, inspector):
    sheet = workbook(session, inspector, lang="en", batch_id=scene.batch.id).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Critical tracking event", "Traceability lot code", "GTIN"]
    assert {r[COLUMN["event"]] for r in rows_of(sheet)} == {"Shipping", "Receiving", "Use (kitchen)",
                                                            "Transformation (meal)"}


def test_the_csv_is_utf8_with_a_bom_and_reads_back_with_python_csv(session, scene, inspector):
    out = io.BytesIO()
    count = write_kde_csv(session, export_scope(session, inspector, batch_id=scene.batch.id), out, base_url=BASE)
    data = out.getvalue()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == headers("zh-CN") and len(rows) == count + 1 == 10
    shipped = sorted(r[COLUMN["quantity"]] for r in rows[1:] if r[COLUMN["event"]] == "发货")
    assert shipped == ["100", "400", "50"]
    assert all(r[COLUMN["event_date"]] == days_ago(3).isoformat() for r in rows[1:]
               if r[COLUMN["event"]] == "加工成餐")


def test_a_supplier_sees_no_kitchen_rows(session, scene):
    sheet = workbook(session, Actor.of(scene.world.supplier_user), batch_id=scene.batch.id).worksheets[0]
    assert {r[COLUMN["event"]] for r in rows_of(sheet)} == {"发货", "验收"}
