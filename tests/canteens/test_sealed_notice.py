"""A batch a failed test sealed: every canteen holding it is told on its pages (issue 13 item 2),
and its receipt of another delivery of the batch is refused by the existing gates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inspections import service as inspection_service
from tests.helpers import sign_in
from tests.web.work_world import world_with_people
from trace.db import utcnow
from trace.errors import Conflict

NOTICE = "因检测不合格已被封存，暂停使用"


@pytest.fixture
def people(session):
    return world_with_people(session)


@pytest.fixture
def staff(client, people):
    sign_in(client, people.canteen)
    return client


def failed_laboratory_result(session, world):
    inspection_service.test_result_record(
        session, actor=world.actor(world.inspector), batch_id=world.batch.id, kind="lab_report",
        tested_at=utcnow(), value=Decimal("0.2"), limit_value=Decimal("0.05"), limit_kind="max",
        method="GB 23200.113-2018", value_unit="mg/kg", laboratory="济南市食品药品检验检测中心",
        report_number="JN-0007")


def test_the_stock_and_deliveries_pages_name_the_sealed_batch_with_a_link(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "10"), "10")
    failed_laboratory_result(session, world)
    session.commit()

    for url in ("/canteen/stock", "/canteen/deliveries"):
        page = staff.get(url)
        assert page.status_code == 200
        assert f"批次 {world.batch.lot_code}" in page.text and NOTICE in page.text, url
        assert f'href="/public/batches/{world.batch.id}"' in page.text


def test_a_batch_sealed_by_hand_has_no_test_notice(staff, session, people):
    world = people.world
    world.receive(session, world.ship(session, "10"), "10")
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="群众举报，待核查")
    session.commit()

    assert NOTICE not in staff.get("/canteen/stock").text


def test_a_school_without_stock_of_the_batch_sees_no_notice(staff, session, people):
    failed_laboratory_result(session, people.world)
    session.commit()

    assert NOTICE not in staff.get("/canteen/stock").text


def test_receiving_more_of_a_sealed_batch_is_refused(session, people):
    world = people.world
    shipment = world.ship(session, "10")
    failed_laboratory_result(session, world)

    with pytest.raises(Conflict):
        world.receive(session, shipment, "10")
