"""The receiving page a phone keeps for the door without a network (issue 12 §6): beside the scan form
it carries, hidden, each of today's expected deliveries with its check form, keyed by lot code and
GTIN for static/receive.js; a delivery the door may not accept carries the message a scan would give;
one already checked links to its check. Online nothing of it shows, and the form posts as before."""

from __future__ import annotations

import re

import pytest

from inspections import service as inspection_service
from tests.factories import make_batch, make_order_line, make_product
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace.custody import Actor


@pytest.fixture
def morning(session):
    """Two deliveries due at the world's school today: the world's lot and another product's."""
    people = world_with_people(session)
    world = people.world
    first = world.ship(session, "40")
    product = make_product(session, name="面粉")
    batch = make_batch(session, world.supplier, product, Actor.of(world.supplier_user))
    second = world.ship(session, "20", batch_id=batch.id,
                        order_line_id=make_order_line(session, world.school, world.supplier, product).id)
    session.commit()
    return people, first, second, batch


def door_section(page: str, shipment_id: int) -> str:
    found = re.search(rf'<section class="door-form" id="door-{shipment_id}".*?</section>', page, re.S)
    assert found, f"no door form for shipment {shipment_id}"
    return found[0]


def test_the_page_carries_each_delivery_due_today_with_its_form_hidden_keyed_by_lot_and_gtin(client, session,
                                                                                             morning):
    people, first, second, batch = morning
    sign_in(client, people.canteen)

    page = client.get("/canteen/receive").text

    assert '<section id="door" class="door" data-door hidden>' in page
    assert '<script src="/static/receive.js" defer></script>' in page
    for shipment, lot in ((first, people.world.batch), (second, batch)):
        section = door_section(page, shipment.id)
        assert f'data-lot="{lot.lot_code}"' in section and f'data-gtin="{lot.gtin}"' in section
        assert f'name="shipment_id" value="{shipment.id}"' in section and 'data-offline="receipt-check"' in section
        assert "检验报告" in section  # the papers to tick
        assert 'name="receipt_date"' not in section  # the day it is submitted on the phone counts
    assert len(set(re.findall(r'id="([^"]+)"', page))) == len(re.findall(r'id="([^"]+)"', page))  # ids unique


def test_a_held_lot_carries_the_message_a_scan_gives_and_no_form(client, session, morning):
    people, first, _second, _batch = morning
    world = people.world
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="农残快检阳性，待复检")
    session.commit()
    sign_in(client, people.canteen)

    section = door_section(client.get("/canteen/receive").text, first.id)

    assert "封存" in section and "<form" not in section


def test_a_delivery_with_a_check_waiting_links_to_it_instead_of_a_second_form(client, session, morning):
    people, first, _second, _batch = morning
    check = people.world.open_check(session, first, "40")
    session.commit()
    sign_in(client, people.canteen)

    section = door_section(client.get("/canteen/receive").text, first.id)

    assert f'href="/canteen/receipt-checks/{check.id}"' in section and "<form" not in section


def test_a_door_form_submitted_online_opens_the_check_as_the_scanned_one_does(client, session, morning):
    people, first, _second, _batch = morning
    sign_in(client, people.canteen)
    page = client.get("/canteen/receive").text
    section = door_section(page, first.id)

    response = client.post("/canteen/receipt-checks", data={
        "csrf_token": form_token(page), "shipment_id": str(first.id), "unit": "kg",
        "certificates_checked": re.findall(r'name="certificates_checked" value="([^"]+)"', section),
        "accepted_quantity": "40", "rejected_quantity": "", "rejection_reason": "", "arrival_temperature_celsius": ""},
        follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/canteen/receipt-checks/")
