"""Receiving with two-person acceptance (双人或多人联检, domain.md §3.4, §8.5): the first checker opens a
check, a different canteen staff member of the same school confirms it, and only then does a receipt
count. Every gate is decided when the check opens and again when it is confirmed; a refusal writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from canteens import receipt_checks
from canteens.models import CheckStatus, Receipt, ReceiptCheck, Shipment, Stock
from canteens.schemas import ReceiptCheckCreate
from inspections import rapid_tests
from inspections import service as inspection_service
from inspections.models import TestResult
from suppliers import service as supplier_service
from suppliers.schemas import SupplierStanding
from tests.factories import (
    bearer,
    check_fields,
    days_ago,
    make_batch,
    make_order_line,
    make_school,
    make_user,
    make_world,
    today,
)
from tests.helpers import assert_refused
from trace.accounts import system_actor
from trace.digital_link import build_digital_link
from trace.errors import DomainError
from trace.models import CustodyEvent, Role

VEGETABLE = {"name": "上海青", "category": "蔬菜", "shelf_life_days": 5, "rapid_test": rapid_tests.ENZYME_INHIBITION}
PORK = {"name": "冷鲜猪肉（后腿）", "category": "肉类", "storage": "chilled", "storage_min_celsius": 0,
        "storage_max_celsius": 4, "shelf_life_days": 5}


@pytest.fixture
def world(session):
    return make_world(session)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    assert error.value.zh and error.value.en
    return error.value


def open_check(session, world, shipment, accepted="10", rejected="0", *, by=None, **overrides):
    return receipt_checks.check_open(session, actor=world.actor(by or world.staff), data=ReceiptCheckCreate(
        **check_fields(session, shipment, accepted, rejected, **overrides)))


def confirm(session, world, check, *, by=None):
    return receipt_checks.check_confirm(session, actor=world.actor(by or world.staff2), check_id=check.id)


def counted(session, shipment) -> tuple[Decimal, int, int]:
    """What a shipment's receipts moved: its accounted total, its receipts, the school's stock rows."""
    session.expire_all()
    return (session.get(Shipment, shipment.id).accounted_quantity,
            session.scalar(select(func.count()).select_from(Receipt).where(Receipt.shipment_id == shipment.id)),
            session.scalar(select(func.count()).select_from(Stock).where(Stock.batch_id == shipment.batch_id)))


def receiving_events(session, batch_id) -> list[CustodyEvent]:
    session.expire_all()
    return list(session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"batch:{batch_id}",
                                                           CustodyEvent.biz_step == "receiving")).scalars())


# --- two people ------------------------------------------------------------------------------------


def test_an_open_check_counts_for_nothing_until_it_is_confirmed(session, world):
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment)
    assert check.status == CheckStatus.open and check.opened_by == world.staff.id
    assert counted(session, shipment) == (Decimal(0), 0, 0)
    assert receiving_events(session, world.batch.id) == []


def test_a_second_staff_member_of_the_school_confirms_and_the_receipt_counts(session, world):
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment, "8", "2", rejection_reason="包装破损", rejected_disposal="returned")
    receipt = confirm(session, world, check)
    assert (receipt.received_by, receipt.confirmed_by, receipt.check_id) == (world.staff.id, world.staff2.id, check.id)
    assert receipt.rejected_disposal == "returned"
    assert json.loads(receipt.certificates_checked) == ["检验报告"]
    assert counted(session, shipment) == (Decimal("10.000"), 1, 1)
    assert session.get(ReceiptCheck, check.id).status == CheckStatus.confirmed
    assert session.get(ReceiptCheck, check.id).open_shipment_id is None


def test_the_receiving_event_names_both_checkers_the_disposal_and_the_papers(session, world):
    shipment = world.ship(session, "10")
    confirm(session, world, open_check(session, world, shipment, "9", "1", rejection_reason="霉变",
                                       rejected_disposal="destroyed"))
    [event] = receiving_events(session, world.batch.id)
    payload = json.loads(event.payload)
    assert payload["checked_by"] == [world.staff.id, world.staff2.id]
    assert (payload["opened_by"], payload["confirmed_by"]) == (world.staff.id, world.staff2.id)
    assert payload["rejected_disposal"] == "destroyed" and payload["certificates_checked"] == ["检验报告"]
    assert event.actor_user_id == world.staff2.id


def test_the_first_checker_cannot_confirm_their_own_check(session, world):
    check = open_check(session, world, world.ship(session, "10"))
    error = refused(confirm, session, world, check, by=world.staff)
    assert (error.code, error.status) == ("second_checker_required", 403)


@pytest.mark.parametrize("who", ["other_school", "admin"])
def test_only_canteen_staff_of_the_same_school_confirm(session, world, who):
    check = open_check(session, world, world.ship(session, "10"))
    user = world.admin if who == "admin" else make_user(session, Role.canteen_staff, school_id=make_school(session).id)
    error = refused(confirm, session, world, check, by=user)
    assert (error.code, error.status) == ("second_checker_not_of_school", 403)


def test_an_admin_may_open_a_check_for_a_school(session, world):
    check = open_check(session, world, world.ship(session, "10"), by=world.admin)
    assert confirm(session, world, check).received_by == world.admin.id


def test_one_check_is_open_per_shipment_and_the_second_is_told_to_confirm_it(session, world):
    shipment = world.ship(session, "10")
    first = open_check(session, world, shipment)
    error = refused(open_check, session, world, shipment, by=world.staff2)
    assert (error.code, error.status, error.details["check_id"]) == ("receipt_check_already_open", 409, first.id)
    assert "请第二人复核该验收单" in error.zh


def test_a_withdrawn_check_counts_for_nothing_and_the_shipment_may_be_checked_again(session, world):
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment)
    assert refused(receipt_checks.check_withdraw, session, actor=world.actor(world.staff), check_id=check.id,
                   reason=" ").code == "withdraw_reason_required"
    receipt_checks.check_withdraw(session, actor=world.actor(world.staff), check_id=check.id, reason="数量点错")
    assert refused(confirm, session, world, check).code == "receipt_check_closed"
    assert counted(session, shipment) == (Decimal(0), 0, 0)
    assert confirm(session, world, open_check(session, world, shipment)).accepted_quantity == Decimal("10.000")


def test_a_confirmed_check_cannot_be_confirmed_again(session, world):
    check = open_check(session, world, world.ship(session, "10"))
    confirm(session, world, check)
    error = refused(confirm, session, world, check)
    assert (error.code, error.status) == ("receipt_check_closed", 409)


# --- every gate, at once and again at confirmation ---------------------------------------------------


@pytest.mark.parametrize(("action", "code"), [("hold", "batch_on_hold"), ("recall", "batch_recalled")])
def test_a_held_or_recalled_lot_is_refused_when_the_check_opens(session, world, action, code):
    shipment = world.ship(session, "10")
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action=action, reason="快检阳性")
    assert refused(open_check, session, world, shipment).code == code


def test_a_hold_that_lands_between_opening_and_confirming_refuses_and_writes_nothing(session, world):
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment)
    session.commit()
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="快检阳性，封存待检")
    session.commit()
    error = refused(confirm, session, world, check)
    session.rollback()
    assert error.code == "batch_on_hold"
    assert counted(session, shipment) == (Decimal(0), 0, 0)
    assert session.get(ReceiptCheck, check.id).status == CheckStatus.open


def test_a_rejection_may_still_be_recorded_for_a_held_lot(session, world):
    shipment = world.ship(session, "10")
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="快检阳性")
    check = open_check(session, world, shipment, "0", "10", rejection_reason="批次已封存，退回",
                       rejected_disposal="returned")
    assert confirm(session, world, check).rejected_quantity == Decimal("10.000")


@pytest.mark.parametrize(("standing", "code"), [({"dishonest": True}, "supplier_dishonest"),
                                                ({"status": "suspended"}, "supplier_suspended")])
def test_a_supplier_off_the_list_since_shipping_is_refused_at_the_door(session, world, standing, code):
    shipment = world.ship(session, "10")
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=world.supplier.id,
                                           data=SupplierStanding(note="示例处罚", **standing))
    assert refused(open_check, session, world, shipment).code == code


def test_more_than_is_left_of_the_shipment_is_refused_when_the_check_opens(session, world):
    shipment = world.ship(session, "10")
    assert refused(open_check, session, world, shipment, "10.5").code == "quantity_exceeds_shipment"


def test_a_check_opened_for_another_school_is_refused(session, world):
    stranger = make_user(session, Role.canteen_staff, school_id=make_school(session).id)
    assert refused(open_check, session, world, world.ship(session, "10"), by=stranger).code == "not_your_school"


# --- rejections: a reason and a disposal --------------------------------------------------------------


def test_a_rejection_needs_a_reason_and_a_disposal(session, world):
    shipment = world.ship(session, "10")
    assert refused(open_check, session, world, shipment, "5", "5", rejected_disposal="returned").code == \
        "rejection_reason_required"
    assert refused(open_check, session, world, shipment, "5", "5", rejection_reason="破损",
                   rejected_disposal=None).code == "rejected_disposal_required"


def test_a_disposal_without_a_rejection_is_refused(session, world):
    error = refused(open_check, session, world, world.ship(session, "10"), rejected_disposal="destroyed")
    assert error.code == "rejected_disposal_without_rejection"


# --- papers (索证索票) ---------------------------------------------------------------------------------


def test_accepting_needs_every_required_paper_ticked(session, world):
    error = refused(open_check, session, world, world.ship(session, "10"), certificates_checked=[])
    assert (error.code, error.details["missing"]) == ("certificates_not_checked", ["检验报告"])


def test_a_ticked_paper_must_be_on_file_with_the_lot(session, world):
    error = refused(open_check, session, world, world.ship(session, "10"),
                    certificates_checked=["检验报告", "动物检疫合格证明"])
    assert (error.code, error.details["unknown"]) == ("certificate_not_on_file", ["动物检疫合格证明"])


def test_rejecting_it_all_needs_no_papers_ticked(session, world):
    check = open_check(session, world, world.ship(session, "10"), "0", "10", certificates_checked=[],
                       rejection_reason="无检验报告", rejected_disposal="returned")
    assert confirm(session, world, check).accepted_quantity == 0


# --- cold chain --------------------------------------------------------------------------------------


def test_cold_chain_goods_out_of_range_are_refused_for_acceptance(session):
    world = make_world(session, **PORK)
    shipment = world.ship(session, "10")
    error = refused(open_check, session, world, shipment, arrival_temperature_celsius=9.5)
    assert error.code == "arrival_temperature_out_of_range" and "请拒收并注明原因" in error.zh
    assert refused(open_check, session, world, shipment).code == "arrival_temperature_required"


def test_cold_chain_goods_out_of_range_may_be_rejected_and_the_check_is_flagged(session):
    world = make_world(session, **PORK)
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment, "0", "10", arrival_temperature_celsius=9.5,
                       rejection_reason="到货温度 9.5 ℃ 超出验收范围", rejected_disposal="returned")
    assert check.temperature_out_of_range
    assert confirm(session, world, check).rejected_quantity == Decimal("10.000")


def test_cold_chain_goods_within_range_are_not_flagged(session):
    world = make_world(session, **PORK)
    check = open_check(session, world, world.ship(session, "10"), arrival_temperature_celsius=3.0)
    assert not check.temperature_out_of_range


# --- rapid tests before acceptance (§4.1): how re-tests fit ------------------------------------------


def door_tests(session, world) -> list[TestResult]:
    session.expire_all()
    return list(session.execute(select(TestResult).where(TestResult.batch_id == world.batch.id)
                                .order_by(TestResult.id)).scalars())


def test_accepting_a_product_that_calls_for_a_rapid_test_needs_its_reading(session):
    world = make_world(session, **VEGETABLE)
    error = refused(open_check, session, world, world.ship(session, "10"), rapid_test_value=None)
    assert error.code == "rapid_test_required"


def test_a_negative_reading_is_recorded_with_its_computed_verdict_and_acceptance_goes_on(session):
    world = make_world(session, **VEGETABLE)
    check = open_check(session, world, world.ship(session, "10"), rapid_test_value=Decimal("18.5"))
    [test] = door_tests(session, world)
    assert (test.verdict, test.school_id, test.value, check.rapid_test_id) == (
        "negative", world.school.id, Decimal("18.500"), test.id)
    assert confirm(session, world, check).accepted_quantity == Decimal("10.000")


def test_a_positive_reading_refuses_acceptance_and_writes_nothing(session):
    world = make_world(session, **VEGETABLE)
    error = refused(open_check, session, world, world.ship(session, "10"), rapid_test_value=Decimal("62"))
    session.rollback()
    assert (error.code, error.details["retests_left"]) == ("rapid_test_retest_required", 2)
    assert door_tests(session, world) == []


def test_a_positive_that_its_re_tests_repeat_refuses_acceptance(session):
    world = make_world(session, **VEGETABLE)
    error = refused(open_check, session, world, world.ship(session, "10"), rapid_test_value=Decimal("62"),
                    rapid_test_retests=[Decimal("58"), Decimal("66")])
    assert error.code == "rapid_test_positive"


def test_a_positive_that_a_re_test_does_not_repeat_does_not_count(session):
    world = make_world(session, **VEGETABLE)
    check = open_check(session, world, world.ship(session, "10"), rapid_test_value=Decimal("62"),
                       rapid_test_retests=[Decimal("21")])
    first, retest = door_tests(session, world)
    assert retest.retest_of_id == first.id == check.rapid_test_id
    assert inspection_service.rapid_test_standing(session, first.id) == rapid_tests.Standing.not_repeated
    assert confirm(session, world, check).accepted_quantity == Decimal("10.000")


def test_a_positive_lot_is_rejected_with_its_readings_on_record(session):
    world = make_world(session, **VEGETABLE)
    check = open_check(session, world, world.ship(session, "10"), "0", "10", rapid_test_value=Decimal("62"),
                       rapid_test_retests=[Decimal("58"), Decimal("66")], rejection_reason="农残快检阳性，复检仍为阳性",
                       rejected_disposal="destroyed")
    assert confirm(session, world, check).rejected_disposal == "destroyed"
    assert [t.verdict for t in door_tests(session, world)] == ["positive"] * 3


def test_withdrawing_a_positive_and_testing_again_continues_its_re_tests(session):
    world = make_world(session, **VEGETABLE)
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment, "0", "10", rapid_test_value=Decimal("62"), rejection_reason="阳性",
                       rejected_disposal="returned")
    receipt_checks.check_withdraw(session, actor=world.actor(world.staff), check_id=check.id, reason="先复检")
    # The next reading is the first positive's re-test, not a fresh first test: a positive is not wiped out.
    again = open_check(session, world, shipment, "0", "10", rapid_test_value=Decimal("60"), rejection_reason="阳性",
                       rejected_disposal="returned")
    first, retest = door_tests(session, world)
    assert (retest.retest_of_id, again.rapid_test_id) == (first.id, first.id)
    receipt_checks.check_withdraw(session, actor=world.actor(world.staff), check_id=again.id, reason="再复检")
    assert refused(open_check, session, world, shipment, rapid_test_value=Decimal("61")).code == "rapid_test_positive"


def test_readings_for_a_product_without_a_rapid_test_are_refused(session, world):
    error = refused(open_check, session, world, world.ship(session, "10"), rapid_test_value=Decimal("10"))
    assert error.code == "rapid_test_not_called_for"


def test_the_api_computes_the_verdict_and_ignores_one_typed_in(client, session):
    world = make_world(session, **VEGETABLE)
    shipment = world.ship(session, "10")
    session.commit()
    body = {**{k: str(v) if isinstance(v, Decimal) else v for k, v in check_fields(
        session, shipment, "10", rapid_test_value=Decimal("62")).items()}, "receipt_date": today().isoformat(),
        "verdict": "negative"}
    assert_refused(client.post("/api/v1/receipt-checks", json=body, headers=bearer(session, world.staff)),
                   409, "rapid_test_retest_required")


# --- scanning ---------------------------------------------------------------------------------------


def scan(session, world, code, *, by=None):
    return receipt_checks.scan_lookup(session, actor=world.actor(by or world.staff), code=code)


def test_a_lot_code_finds_the_shipment_expected_at_the_school(session, world):
    shipment = world.ship(session, "10")
    [found] = scan(session, world, world.batch.lot_code)
    assert (found.shipment.id, found.outstanding, found.line.id) == (shipment.id, Decimal("10.000"), world.line.id)


def test_a_lot_code_typed_in_lower_case_is_found(session, world):
    world.ship(session, "10")
    assert len(scan(session, world, world.batch.lot_code.lower())) == 1


def test_the_labels_digital_link_and_element_string_find_it_too(session, world):
    shipment = world.ship(session, "10")
    link = build_digital_link("https://trace.example.cn", world.batch.gtin, world.batch.lot_code,
                              expiry=world.batch.expiry_date)
    assert [e.shipment.id for e in scan(session, world, link)] == [shipment.id]
    element = f"(01){world.batch.gtin}(10){world.batch.lot_code}"
    assert [e.shipment.id for e in scan(session, world, element)] == [shipment.id]


def test_a_scan_shows_a_check_already_waiting(session, world):
    shipment = world.ship(session, "10")
    check = open_check(session, world, shipment)
    assert scan(session, world, world.batch.lot_code, by=world.staff2)[0].open_check_id == check.id


def test_an_unknown_lot_is_not_found(session, world):
    error = refused(scan, session, world, "NOSUCHLOT1")
    assert (error.code, error.status) == ("lot_not_found", 404)


def test_a_lot_not_shipped_to_this_school_is_refused(session, world):
    other = make_school(session)
    world.ship(session, "10", order_line_id=make_order_line(session, other, world.supplier, world.product).id)
    error = refused(scan, session, world, world.batch.lot_code)
    assert (error.code, error.status) == ("lot_not_shipped_here", 409)


def test_a_lot_already_received_is_refused(session, world):
    world.receive(session, world.ship(session, "10"), "10")
    error = refused(scan, session, world, world.batch.lot_code)
    assert (error.code, error.status) == ("shipment_already_received", 409)


@pytest.mark.parametrize(("action", "code"), [("hold", "batch_on_hold"), ("recall", "batch_recalled")])
def test_a_held_or_recalled_lot_is_refused_on_scanning(session, world, action, code):
    world.ship(session, "10")
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action=action, reason="快检阳性")
    assert refused(scan, session, world, world.batch.lot_code).code == code


def test_an_expired_lot_is_refused_on_scanning(session, world):
    batch = make_batch(session, world.supplier, world.product, world.actor(world.supplier_user),
                       production_date=days_ago(30), expiry_date=days_ago(1))
    world.ship(session, "10", batch_id=batch.id, ship_date=days_ago(2))
    assert refused(scan, session, world, batch.lot_code).code == "batch_expired"


def test_a_lot_of_a_dishonest_supplier_is_refused_on_scanning(session, world):
    world.ship(session, "10")
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=world.supplier.id,
                                           data=SupplierStanding(dishonest=True, note="列入严重违法失信名单"))
    assert refused(scan, session, world, world.batch.lot_code).code == "supplier_dishonest"


def test_a_lot_of_a_supplier_whose_licence_expired_is_refused_on_scanning(session):
    world = make_world(session)
    world.ship(session, "10")
    for licence in supplier_service.licences_of(session, world.supplier.id):
        licence.expires_on = today() - timedelta(days=1)
        session.add(licence)
    session.flush()
    assert refused(scan, session, world, world.batch.lot_code).code == "supplier_licence_expired"


def test_scanning_records_nothing(session, world):
    world.ship(session, "10")
    before = session.scalar(select(func.count()).select_from(CustodyEvent))
    scan(session, world, world.batch.lot_code)
    with pytest.raises(DomainError):
        scan(session, world, "NOSUCHLOT1")
    assert session.scalar(select(func.count()).select_from(CustodyEvent)) == before


# --- through the API ----------------------------------------------------------------------------------


def test_the_api_opens_reads_and_confirms_a_check_with_two_tokens(client, session, world):
    shipment = world.ship(session, "10")
    session.commit()
    first, second = bearer(session, world.staff), bearer(session, world.staff2)
    [expected] = client.get(f"/api/v1/schools/{world.school.id}/scan", params={"code": world.batch.lot_code},
                            headers=first).json()
    assert (expected["shipment_id"], expected["outstanding_quantity"]) == (shipment.id, "10.000")
    body = {**{k: str(v) if isinstance(v, Decimal) else v for k, v in check_fields(session, shipment, "10").items()},
            "receipt_date": today().isoformat()}
    session.commit()  # the test's own reads end before the app writes (SQLite: one writer)
    check = client.post("/api/v1/receipt-checks", json=body, headers=first).json()
    assert client.get(f"/api/v1/schools/{world.school.id}/receipt-checks", params={"status": "open"},
                      headers=second).json()[0]["id"] == check["id"]
    assert_refused(client.post(f"/api/v1/receipt-checks/{check['id']}/confirm", headers=first),
                   403, "second_checker_required")
    receipt = client.post(f"/api/v1/receipt-checks/{check['id']}/confirm", headers=second)
    assert receipt.status_code == 201 and receipt.json()["confirmed_by"] == world.staff2.id
    assert client.get(f"/api/v1/receipt-checks/{check['id']}", headers=first).json()["receipt_id"] == receipt.json()["id"]
    assert client.get(f"/api/v1/schools/{world.school.id}/expected-deliveries", headers=first).json() == []


def test_the_second_open_through_the_api_is_a_409_naming_the_open_check(client, session, world):
    shipment = world.ship(session, "10")
    session.commit()
    body = {**{k: str(v) if isinstance(v, Decimal) else v for k, v in check_fields(session, shipment, "10").items()},
            "receipt_date": today().isoformat()}
    first = client.post("/api/v1/receipt-checks", json=body, headers=bearer(session, world.staff)).json()
    error = assert_refused(client.post("/api/v1/receipt-checks", json=body, headers=bearer(session, world.staff2)),
                           409, "receipt_check_already_open")
    assert error["details"]["check_id"] == first["id"]


def test_the_one_step_receipt_route_is_retired(client, session, world):
    response = client.post("/api/v1/receipts", json={}, headers=bearer(session, world.staff))
    assert response.status_code in (404, 405)
