"""The export routes: each answers a file that names its own SHA-256, and refuses what the
caller may not see or did not ask clearly."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json

import openpyxl
import pytest

from tests.exports.export_world import make_export_world
from tests.factories import bearer, days_ago, make_supplier, make_user, today
from tests.helpers import assert_refused
from trace.models import Role


@pytest.fixture
def scene(session):
    return make_export_world(session)


def assert_names_its_digest(response) -> None:
    digest = hashlib.sha256(response.content).digest()
    assert response.headers["X-Content-SHA256"] == digest.hex()
    assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert int(response.headers["Content-Length"]) == len(response.content)


def test_the_epcis_export_names_its_sha256(client, session, scene):
    response = client.get(f"/api/v1/exports/epcis?batch_id={scene.batch.id}",
                          headers=bearer(session, scene.world.inspector))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    assert_names_its_digest(response)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="lot-{scene.batch.lot_code}.epcis.jsonld"; '
        f"filename*=UTF-8''lot-{scene.batch.lot_code}.epcis.jsonld")
    document = json.loads(response.content)
    assert document["type"] == "EPCISDocument" and document["epcisBody"]["eventList"]


def test_the_spreadsheets_name_their_sha256_and_open(client, session, scene):
    headers = bearer(session, scene.world.inspector)
    xlsx = client.get(f"/api/v1/exports/kde.xlsx?lot={scene.batch.lot_code}", headers=headers)
    assert xlsx.status_code == 200, xlsx.text
    assert_names_its_digest(xlsx)
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0].max_row == 10
    text = client.get(f"/api/v1/exports/kde.csv?from={days_ago(7)}&to={today()}&lang=en", headers=headers)
    assert text.status_code == 200, text.text
    assert_names_its_digest(text)
    assert next(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))[0] == "Critical tracking event"


def test_another_suppliers_lot_is_not_found(client, session, scene):
    stranger = make_user(session, Role.supplier, supplier_id=make_supplier(session).id)
    response = client.get(f"/api/v1/exports/epcis?lot={scene.batch.lot_code}", headers=bearer(session, stranger))
    assert_refused(response, 404, "lot_not_found")
    response = client.get(f"/api/v1/exports/kde.xlsx?batch_id={scene.batch.id}", headers=bearer(session, stranger))
    assert_refused(response, 404, "batch_not_found")


@pytest.mark.parametrize(("query", "code"), [
    ("", "export_scope_required"),
    ("?batch_id=1&from=2025-09-01&to=2025-09-02", "export_scope_required"),
    ("?from=2025-09-01", "date_range_incomplete"),
    ("?from=2025-09-02&to=2025-09-01", "date_range_invalid"),
    ("?from=2024-01-01&to=2025-12-31", "date_range_too_long"),
    ("?from=9999-12-31&to=9999-12-31", "date_out_of_range"),
    ("?gtin=06970000000017&from=2025-09-01&to=2025-09-02", "gtin_without_lot"),
])
def test_one_clear_scope_is_asked_for(client, session, scene, query, code):
    response = client.get(f"/api/v1/exports/kde.csv{query}", headers=bearer(session, scene.world.inspector))
    assert_refused(response, 422, code)
