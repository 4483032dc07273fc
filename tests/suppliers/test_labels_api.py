"""Label endpoints: suppliers print their own batches' labels; shipments get an A4 sheet."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.conftest import skip_or_fail
from tests.factories import bearer, make_supplier, make_user, make_world
from tests.helpers import assert_refused
from trace.errors import DomainError
from trace.labels import find_cjk_font
from trace.models import Role
from trace.resolver import batch_uri

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the labels")


@pytest.fixture(autouse=True)
def _font():
    try:
        find_cjk_font(None)
    except DomainError as missing:
        skip_or_fail(f"no CJK font installed: {missing.en}")


def test_a_supplier_downloads_its_batch_label_and_it_decodes_to_the_batch_uri(client, session):
    world = make_world(session)
    response = client.get(f"/api/v1/batches/{world.batch.id}/label.png?size=60x40&dpi=300",
                          headers=bearer(session, world.supplier_user))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (709, 472)
    assert zxingcpp.read_barcodes(image)[0].text == batch_uri(world.batch)


def test_the_decoded_uri_resolves_to_the_batch(client, session):
    world = make_world(session)
    png = client.get(f"/api/v1/batches/{world.batch.id}/label.png", headers=bearer(session, world.admin)).content
    uri = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))[0].text
    path = uri.split("://", 1)[1].split("/", 1)[1]
    linkset = client.get("/" + path, headers={"Accept": "application/linkset+json"}).json()
    assert linkset["linkset"][0]["anchor"] == uri
    page = client.get("/" + path, headers={"Accept": "text/html"})
    assert world.batch.lot_code in page.text


def test_another_supplier_cannot_print_the_label(client, session):
    world = make_world(session)
    other = make_user(session, Role.supplier, supplier_id=make_supplier(session).id)
    assert_refused(client.get(f"/api/v1/batches/{world.batch.id}/label.png", headers=bearer(session, other)),
                   403, "batch_not_visible")


def test_an_unsupported_size_is_refused(client, session):
    world = make_world(session)
    response = client.get(f"/api/v1/batches/{world.batch.id}/label.png?size=100x50",
                          headers=bearer(session, world.admin))
    assert_refused(response, 422, "invalid_request")


def test_a_shipment_gets_a_pdf_sheet_and_a_list_of_batches_too(client, session):
    world = make_world(session)
    shipment = world.ship(session, "10")
    session.commit()
    headers = bearer(session, world.supplier_user)
    sheet = client.get(f"/api/v1/shipments/{shipment.id}/labels.pdf?copies=3", headers=headers)
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    many = client.get(f"/api/v1/labels/sheet.pdf?batch_id={world.batch.id}&batch_id={world.batch.id}",
                      headers=headers)
    assert many.status_code == 200 and many.headers["content-type"] == "application/pdf"


def test_the_cli_writes_labels_for_a_date_range(session, database_url, tmp_path):
    import os
    import subprocess
    import sys

    from trace.guard import PROJECT_ROOT

    world = make_world(session)
    day = world.batch.production_date.isoformat()
    result = subprocess.run(
        [sys.executable, "-m", "trace", "labels", "--out", str(tmp_path / "out"), "--from", day, "--size", "60x40"],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == [f"{world.batch.lot_code}-60x40-203dpi.png"]
    assert zxingcpp.read_barcodes(Image.open(pngs[0]))[0].text == batch_uri(world.batch)
    assert (tmp_path / "out" / "labels.pdf").exists()
