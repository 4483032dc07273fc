"""The supplier's pages: its orders, batches, shipments and labels, and nobody else's."""

from __future__ import annotations

import pytest

from canteens.models import OrderRevision, PurchaseOrder
from inspections import service as inspection_service
from tests.factories import make_batch, make_person, make_supplier
from tests.helpers import sign_in
from tests.web.work_world import world_with_people
from trace.custody import Actor
from trace.models import Role


@pytest.fixture
def people(session):
    return world_with_people(session)


@pytest.fixture
def supplier(client, people):
    sign_in(client, people.supplier)
    return client


def _order_number(session, line) -> str:
    return session.get(PurchaseOrder, session.get(OrderRevision, line.revision_id).order_id).order_number


def test_orders_list_the_current_revision_with_school_delivery_date_and_lines(supplier, session, people):
    world = people.world

    page = supplier.get("/supplier/orders")

    assert page.status_code == 200
    number = _order_number(session, world.line)
    assert f'href="/supplier/orders/{number}"' in page.text
    assert world.school.name in page.text and world.product.name in page.text and "1000 kg" in page.text


def test_the_order_page_shows_its_lines_and_what_was_shipped_against_it(supplier, session, people):
    world = people.world
    world.ship(session, "40")
    session.commit()

    page = supplier.get(f"/supplier/orders/{_order_number(session, world.line)}")

    assert page.status_code == 200
    assert "现行版本" in page.text and "¥5.00" in page.text
    assert world.batch.lot_code in page.text and "40 kg" in page.text and "在途" in page.text


def test_another_suppliers_order_is_not_found(client, session, people):
    make_person(session, Role.supplier, username="other-supplier", supplier_id=make_supplier(session).id)
    session.commit()
    sign_in(client, "other-supplier")

    page = client.get(f"/supplier/orders/{_order_number(session, people.world.line)}")

    assert page.status_code == 404


def test_batches_show_registered_shipped_and_left_with_status_and_expiry(supplier, session, people):
    world = people.world
    world.ship(session, "400")
    session.commit()

    page = supplier.get("/supplier/batches").text

    assert world.batch.lot_code in page
    assert "1000 kg" in page and "400 kg" in page and "600 kg" in page
    assert "正常" in page and "保质期至" in page


def test_the_batch_page_links_its_labels_and_public_page(supplier, people):
    batch = people.world.batch

    page = supplier.get(f"/supplier/batches/{batch.id}").text

    assert f"/api/v1/batches/{batch.id}/label.png?size=40x30" in page
    assert f"/api/v1/labels/sheet.pdf?batch_id={batch.id}&amp;size=60x40" in page
    assert f'href="/public/batches/{batch.id}"' in page


def test_another_suppliers_batch_page_is_not_found(client, session, people):
    other = make_supplier(session)
    other_user = make_person(session, Role.supplier, username="other-supplier", supplier_id=other.id)
    session.commit()
    sign_in(client, "other-supplier")

    assert client.get(f"/supplier/batches/{people.world.batch.id}").status_code == 404
    assert other_user.supplier_id != people.world.batch.supplier_id


def test_shipments_show_the_receipt_status_and_the_labels_pdf(supplier, session, people):
    world = people.world
    shipment = world.ship(session, "10")
    world.receive(session, shipment, "10")
    session.commit()

    page = supplier.get("/supplier/shipments").text

    assert world.school.name in page and "已验收" in page
    assert f"/api/v1/shipments/{shipment.id}/labels.pdf" in page


def test_the_labels_page_prints_the_ticked_batches_as_one_pdf_sheet(supplier, people):
    batch = people.world.batch
    page = supplier.get("/supplier/labels").text
    assert 'action="/supplier/labels/print"' in page and 'method="get"' in page
    assert f'name="batch_id" value="{batch.id}"' in page and 'value="40x30"' in page

    pdf = supplier.get(f"/supplier/labels/print?batch_id={batch.id}&size=40x30", follow_redirects=True)

    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_printing_with_no_batch_ticked_says_so_on_the_page(supplier, people):
    page = supplier.get("/supplier/labels/print?size=40x30")

    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "请至少勾选一个批次" in page.text and 'action="/supplier/labels/print"' in page.text


def test_a_sealed_batch_is_not_offered_for_new_labels(supplier, session, people):
    world = people.world
    sealed = make_batch(session, world.supplier, world.product, Actor.of(world.supplier_user), lot_code="SEALED2")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=sealed.id,
                                           action="hold", reason="快检阳性")
    session.commit()

    page = supplier.get("/supplier/labels").text

    assert "SEALED2" not in page and world.batch.lot_code in page


def test_canteen_staff_may_not_open_the_supplier_pages(client, people):
    sign_in(client, people.canteen)

    assert client.get("/supplier/batches").status_code == 403
