"""The EPCIS 2.0 export: every kind of custody event of goods the platform records becomes
an event that validates against GS1's official EPCIS 2.0 JSON schema, named by its GS1
Event Hash ID; a correction is published as an error declaration, never as an edit."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker

from canteens.models import OrderRevision, PurchaseOrder
from exports.epcis import context, write_epcis_document
from exports.event_hash import event_hash_id
from exports.scope import export_scope
from tests.exports.export_world import make_export_world
from tests.factories import days_ago, today
from trace.custody import Actor
from trace.models import Role
from trace.settings import PROJECT_ROOT

# GS1's official schema (gs1/EPCIS at 2b888be), copied into tests/data so a clean clone validates
# offline (tests/data/epcis/README.md); TRACE_EPCIS_SCHEMA names another copy.
SCHEMA_PATH = Path(os.environ.get("TRACE_EPCIS_SCHEMA")
                   or PROJECT_ROOT / "tests" / "data" / "epcis" / "EPCIS-JSON-Schema.json")
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
BASE = "https://trace.example.cn"
# jsonschema checks "uri" and "date-time" only with optional packages; these checks are the RFC 3986
# and RFC 3339 grammar's outline, so a blank, a relative reference or a time without offset fails.
FORMATS = FormatChecker()


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]*", value) is not None


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None and "T" in value
    except ValueError:
        return False


VALIDATOR = Draft7Validator(SCHEMA, format_checker=FORMATS)


def export(session, actor: Actor, **asked) -> dict:
    scope = export_scope(session, actor, **asked)
    out = io.BytesIO()
    write_epcis_document(session, scope, out, base_url=BASE)
    return json.loads(out.getvalue())


@pytest.fixture
def scene(session):
    return make_export_world(session)


@pytest.fixture
def supervision():
    return Actor(None, Role.inspector.value)


def events_of(document: dict) -> list[dict]:
    return document["epcisBody"]["eventList"]


def kind(event: dict) -> tuple[str, str, str | None]:
    return event["type"], event["bizStep"].rsplit("/", 1)[-1], (event.get("disposition") or "").rsplit("/", 1)[-1]


EVERY_KIND = {
    ("ObjectEvent", "commissioning", "active"),
    ("ObjectEvent", "shipping", "in_transit"),
    ("ObjectEvent", "receiving", "conformant"),
    ("ObjectEvent", "receiving", "non_conformant"),
    ("ObjectEvent", "dispensing", "available"),
    ("ObjectEvent", "inspecting", "conformant"),
    ("ObjectEvent", "inspecting", "non_conformant"),
    ("ObjectEvent", "holding", "non_conformant"),
    ("ObjectEvent", "holding", "recalled"),
    ("ObjectEvent", "BizStep-meal_planning", ""),
    ("ObjectEvent", "BizStep-menu_adding", ""),
    ("ObjectEvent", "BizStep-accompanying", ""),
    ("TransformationEvent", "commissioning", "active"),
    ("ObjectEvent", "sampling", ""),
    ("ObjectEvent", "destroying", "destroyed"),
}


def test_the_document_of_a_date_range_validates_against_the_official_schema(session, scene, supervision):
    document = export(session, supervision, date_from=days_ago(7), date_to=today())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
    assert document["@context"] == context(BASE)


def test_every_kind_of_custody_event_of_goods_is_in_the_document_and_validates_alone(session, scene, supervision):
    document = export(session, supervision, date_from=days_ago(7), date_to=today())
    found = {kind(event) for event in events_of(document)}
    assert EVERY_KIND <= found
    for event in events_of(document):
        # Each event is also valid as a standalone EPCIS event (with the document's context).
        alone = {"@context": document["@context"]} | event
        assert [e.message for e in VALIDATOR.iter_errors(alone)] == [], kind(event)


def test_a_lot_names_its_gs1_digital_link_with_kilograms_and_the_order_and_shipment(session, scene, supervision):
    events = events_of(export(session, supervision, batch_id=scene.batch.id))
    lot = f"{BASE}/01/{scene.batch.gtin}/10/{scene.batch.lot_code}"
    shipped = [e for e in events if e["bizStep"] == "shipping"]
    assert sorted(e["quantityList"][0]["quantity"] for e in shipped) == [50, 100, 400]
    assert {e["quantityList"][0]["epcClass"] for e in shipped} == {lot}
    assert {e["quantityList"][0]["uom"] for e in shipped} == {"KGM"}
    first = next(e for e in shipped if e["quantityList"][0]["quantity"] == 400)
    assert first["bizTransactionList"] == [
        {"type": "po", "bizTransaction": f"{BASE}/id/order/{_order_number(session, scene)}"},
        {"type": "desadv", "bizTransaction": f"{BASE}/id/shipment/{scene.shipments[0].id}"}]
    school = f"{BASE}/id/location/school/{scene.world.school.code}"
    assert {"type": "location", "destination": school} in first["destinationList"]
    assert {"type": "owning_party", "source": f"{BASE}/id/party/supplier/{scene.world.supplier.credit_code}"} \
        in first["sourceList"]


def _order_number(session, scene) -> str:
    revision = session.get(OrderRevision, scene.world.line.revision_id)
    return session.get(PurchaseOrder, revision.order_id).order_number


def test_a_receipt_in_part_is_an_accepted_and_a_rejected_event(session, scene, supervision):
    events = events_of(export(session, supervision, batch_id=scene.batch.id))
    part = [e for e in events if e["bizStep"] == "receiving" and "errorDeclaration" not in e
            and e["zq:custodyEventID"] == scene.corrected_event_id]
    assert sorted((e["disposition"], e["quantityList"][0]["quantity"]) for e in part) == [
        ("conformant", 60), ("non_conformant", 40)]
    assert next(e for e in part if e["disposition"] == "non_conformant")["zq:rejectionReason"] == "外包装破损"


def test_the_meal_is_a_transformation_of_the_lots_into_it(session, scene, supervision):
    events = events_of(export(session, supervision, batch_id=scene.batch.id))
    (served,) = [e for e in events if e["type"] == "TransformationEvent"]
    assert served["inputQuantityList"] == [
        {"epcClass": f"{BASE}/01/{scene.batch.gtin}/10/{scene.batch.lot_code}", "quantity": 25, "uom": "KGM"}]
    assert served["outputEPCList"] == [f"{BASE}/id/meal/{scene.meal_id}"]


def test_every_event_id_is_the_gs1_event_hash_of_the_event(session, scene, supervision):
    document = export(session, supervision, date_from=days_ago(7), date_to=today())
    namespaces = {"zq": document["@context"][1]["zq"]}
    for event in events_of(document):
        assert event["eventID"] == event_hash_id(event, namespaces)
        assert event["eventID"].startswith("ni:///sha-256;") and event["eventID"].endswith("?ver=CBV2.0")


def test_a_correction_is_published_as_an_error_declaration_on_a_copy_of_what_it_corrects(session, scene, supervision):
    events = events_of(export(session, supervision, batch_id=scene.batch.id))
    originals = [e for e in events if e.get("zq:custodyEventID") == scene.corrected_event_id
                 and "errorDeclaration" not in e]
    declared = [e for e in events if "errorDeclaration" in e]
    corrections = [e for e in events if e.get("zq:custodyEventID") == scene.correction_event_id]
    assert len(originals) == len(declared) == len(corrections) == 2
    # The copies are the original events, unchanged, with the same ids, plus the declaration.
    assert [{k: v for k, v in e.items() if k != "errorDeclaration"} for e in declared] == originals
    for copy in declared:
        declaration = copy["errorDeclaration"]
        assert declaration["reason"] == "incorrect_data"
        assert declaration["correctiveEventIDs"] == [e["eventID"] for e in corrections]
    assert next(e for e in corrections if e["disposition"] == "non_conformant")["zq:rejectionReason"] == "外包装破损，受潮"


def test_a_supplier_exports_its_batch_up_to_the_canteen_door(session, scene):
    supplier = Actor.of(scene.world.supplier_user)
    found = {kind(e) for e in events_of(export(session, supplier, batch_id=scene.batch.id))}
    assert ("ObjectEvent", "shipping", "in_transit") in found and ("ObjectEvent", "holding", "recalled") in found
    assert not any(step in ("dispensing", "sampling") or t == "TransformationEvent" for t, step, _ in found)


def test_a_canteen_exports_its_own_school_and_the_lots_sent_to_it(session, scene):
    staff = Actor.of(scene.world.staff)
    found = {kind(e) for e in events_of(export(session, staff, batch_id=scene.batch.id))}
    assert {("ObjectEvent", "commissioning", "active"), ("ObjectEvent", "dispensing", "available"),
            ("TransformationEvent", "commissioning", "active")} <= found
