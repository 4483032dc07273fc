"""A school's public page: parents see what the canteen received lately, each lot linking
to its public record; nothing of other schools, and no person's name."""

from __future__ import annotations

import pytest

from inspections import service as inspection_service
from tests.factories import make_school, make_user, make_world
from trace.models import Role


@pytest.fixture
def world(session):
    return make_world(session)


def _page(client, school_id):
    return client.get(f"/public/schools/{school_id}", headers={"Accept-Language": "zh-CN"})


def test_the_page_lists_each_lot_the_canteen_accepted_with_a_link_to_its_record(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()

    page = _page(client, world.school.id)

    assert page.status_code == 200
    assert world.school.name in page.text and world.product.name in page.text and world.supplier.name in page.text
    assert f'href="/public/batches/{world.batch.id}"' in page.text


def test_a_lot_wholly_rejected_at_the_door_is_not_listed(client, session, world):
    world.receive(session, world.ship(session, "10"), "0", rejected="10", rejection_reason="包装破损")
    session.commit()

    assert f"/public/batches/{world.batch.id}" not in _page(client, world.school.id).text


def test_another_schools_deliveries_are_not_on_the_page(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    other = make_school(session)
    session.commit()

    assert f"/public/batches/{world.batch.id}" not in _page(client, other.id).text


def test_a_lot_held_after_delivery_is_flagged_for_parents(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="抽检")
    session.commit()

    page = _page(client, world.school.id).text
    assert "已封存" in page and "不得使用" in page


def test_the_page_names_no_person(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    staff = make_user(session, Role.canteen_staff, school_id=world.school.id, display_name="张晓梅")
    session.commit()

    page = _page(client, world.school.id).text
    assert staff.display_name not in page and world.staff.display_name not in page


def test_an_unknown_school_is_a_not_found_page(client):
    page = _page(client, 999)

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
