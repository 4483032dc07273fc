"""The quantity rules at their edges: exactly what is left, the smallest receipt, and use's guards.

Called through the services (the API is a thin layer over them, tested in test_rules.py),
so that a mutation run of the rules stays quick.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from canteens import receipt_checks
from canteens import service as canteen_service
from canteens.models import Shipment, Stock
from canteens.schemas import ReceiptCheckCreate, ShipmentCreate, UseCreate
from inspections import service as inspection_service
from suppliers import service as supplier_service
from suppliers.models import Batch
from suppliers.schemas import SupplierStanding
from tests.factories import (
    days_ago,
    make_batch,
    make_order_line,
    make_product,
    make_school,
    make_supplier,
    make_user,
    make_world,
    today,
)
from trace.accounts import system_actor
from trace.errors import DomainError
from trace.models import CustodyEvent, Role


@pytest.fixture
def world(session):
    return make_world(session)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    assert error.value.zh and error.value.en
    return error.value


def use(session, world, quantity: str, *, user=None, **overrides):
    fields = {"batch_id": world.batch.id, "quantity": Decimal(quantity), "unit": "kg", "use_date": today(),
              "meal": "lunch", **overrides}
    return canteen_service.use_create(session, actor=world.actor(user or world.staff), data=UseCreate(**fields))


def stock_of(session, world) -> Stock | None:
    session.expire_all()
    return session.execute(select(Stock).where(Stock.school_id == world.school.id,
                                               Stock.batch_id == world.batch.id)).scalar_one_or_none()


def newest_batch_event(session, world) -> CustodyEvent:
    session.expire_all()
    return session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"batch:{world.batch.id}")
                           .order_by(CustodyEvent.seq.desc()).limit(1)).scalar_one()


def set_status(session, world, action: str) -> None:
    inspection_service.batch_change_status(session, actor=world.actor(world.inspector), batch_id=world.batch.id,
                                           action=action, reason="农残快检阳性")
    session.commit()


# --- exactly what is left ------------------------------------------------------------------------

def test_shipping_exactly_what_is_left_of_the_batch_is_allowed(session, world):
    world.ship(session, "600")
    shipment = world.ship(session, "400")
    session.commit()
    assert shipment.quantity == Decimal("400.000")
    assert session.get(Batch, world.batch.id).shipped_quantity == Decimal("1000.000")
    error = refused(world.ship, session, "0.001")
    assert (error.code, error.details["remaining"]) == ("quantity_exceeds_batch", "0.000")


def test_receiving_exactly_what_is_left_of_a_shipment_is_allowed(session, world):
    shipment = world.ship(session, "100")
    world.receive(session, shipment, "60", "10", rejection_reason="破损")
    receipt = world.receive(session, shipment, "30")
    session.commit()
    assert receipt.accepted_quantity == Decimal("30.000")
    session.expire_all()
    assert session.get(Shipment, shipment.id).accounted_quantity == Decimal("100.000")
    error = refused(world.receive, session, shipment, "0.001")
    assert (error.code, error.details["remaining"]) == ("quantity_exceeds_shipment", "0.000")


def test_using_exactly_what_is_on_hand_is_allowed(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    use(session, world, "40")
    taken = use(session, world, "60")
    session.commit()
    assert taken.quantity == Decimal("60.000")
    assert stock_of(session, world).used_quantity == Decimal("100.000")
    error = refused(use, session, world, "0.001")
    assert (error.code, error.details["on_hand"]) == ("quantity_exceeds_stock", "0.000")


def test_a_refused_quantity_changes_no_running_total(session, world):
    shipment = world.ship(session, "100")
    world.receive(session, shipment, "100")
    use(session, world, "100")
    session.commit()
    refused(world.ship, session, "900.001")
    refused(world.receive, session, shipment, "0.001")
    refused(use, session, world, "0.001")
    session.rollback()
    session.expire_all()
    assert session.get(Batch, world.batch.id).shipped_quantity == Decimal("100.000")
    assert session.get(Shipment, shipment.id).accounted_quantity == Decimal("100.000")
    assert stock_of(session, world).used_quantity == Decimal("100.000")


# --- the smallest receipt passes every gate a large one does --------------------------------------

@pytest.mark.parametrize("action,code", [("hold", "batch_on_hold"), ("recall", "batch_recalled")])
@pytest.mark.parametrize("accepted", ["1", "0.001"])
def test_a_small_receipt_of_a_held_or_recalled_batch_is_refused(session, world, action, code, accepted):
    shipment = world.ship(session, "10")
    session.commit()
    set_status(session, world, action)
    assert refused(world.receive, session, shipment, accepted).code == code


@pytest.mark.parametrize("accepted", ["1", "0.001"])
def test_a_small_receipt_of_an_expired_batch_is_refused(session, world, accepted):
    product = make_product(session, shelf_life_days=3)
    world.batch = make_batch(session, world.supplier, product, world.actor(world.supplier_user),
                             production_date=days_ago(4))
    world.line = make_order_line(session, world.school, world.supplier, product)
    shipment = world.ship(session, "10", ship_date=days_ago(2))
    session.commit()
    assert refused(world.receive, session, shipment, accepted).code == "batch_expired"


@pytest.mark.parametrize("accepted", ["1", "0.001"])
def test_a_small_receipt_from_a_suspended_supplier_is_refused(session, world, accepted):
    shipment = world.ship(session, "10")
    supplier_service.supplier_set_standing(session, actor=system_actor(), supplier_id=world.supplier.id,
                                           data=SupplierStanding(status="suspended", note="示例处罚"))
    session.commit()
    assert refused(world.receive, session, shipment, accepted).code == "supplier_suspended"


@pytest.mark.parametrize("accepted", ["1", "0.001"])
def test_a_small_receipt_of_cold_chain_goods_needs_its_temperature(session, accepted):
    world = make_world(session, storage="chilled", category="肉类", name="冷鲜猪肉", shelf_life_days=5,
                       required_certificate=None, conversions={})
    shipment = world.ship(session, "10")
    session.commit()
    assert refused(world.receive, session, shipment, accepted).code == "arrival_temperature_required"
    assert refused(world.receive, session, shipment, accepted,
                   arrival_temperature_celsius=11.5).code == "arrival_temperature_out_of_range"
    assert world.receive(session, shipment, accepted, arrival_temperature_celsius=11.0).accepted_quantity == \
        Decimal(accepted)


def test_a_receipt_of_one_kilogram_enters_the_stock(session, world):
    world.receive(session, world.ship(session, "10"), "1", "9", rejection_reason="破损")
    session.commit()
    stock = stock_of(session, world)
    assert (stock.received_quantity, stock.used_quantity) == (Decimal("1.000"), Decimal("0.000"))


def test_a_wholly_rejected_shipment_enters_no_stock_and_cannot_be_used(session, world):
    world.receive(session, world.ship(session, "10"), "0", "10", rejection_reason="感官异常")
    session.commit()
    assert stock_of(session, world) is None
    assert refused(use, session, world, "1").code == "batch_not_in_stock"


def test_a_rejection_needs_a_reason_that_is_not_blank(session, world):
    shipment = world.ship(session, "10")
    assert refused(world.receive, session, shipment, "5", "5", rejection_reason="  ").code == \
        "rejection_reason_required"
    assert world.receive(session, shipment, "10", rejection_reason="  ").accepted_quantity == Decimal("10.000")


# --- what a receipt records ---------------------------------------------------------------------

@pytest.mark.parametrize("accepted,rejected,disposition", [
    ("100", "0", "conformant"),
    ("60", "40", "partially_conformant"),
    ("0", "100", "non_conformant"),
])
def test_a_receipt_records_its_disposition(session, world, accepted, rejected, disposition):
    shipment = world.ship(session, "100")
    receipt = world.receive(session, shipment, accepted, rejected, rejection_reason="破损" if rejected != "0" else "")
    session.commit()
    event = newest_batch_event(session, world)
    assert (event.biz_step, event.disposition, event.event_id) == ("receiving", disposition, receipt.event_id)
    assert (event.subject_type, event.subject_id, event.school_id, event.supplier_id, event.batch_id) == (
        "shipment", str(shipment.id), world.school.id, world.supplier.id, world.batch.id)
    payload = json.loads(event.payload)
    assert (payload["accepted_quantity"], payload["rejected_quantity"], payload["receipt_date"]) == (
        f"{Decimal(accepted):.3f}", f"{Decimal(rejected):.3f}", today().isoformat())
    assert (receipt.accepted_quantity, receipt.rejected_quantity) == (Decimal(accepted), Decimal(rejected))


def test_a_shipment_records_its_event_in_transit(session, world):
    shipment = world.ship(session, "2", unit="袋")
    session.commit()
    event = newest_batch_event(session, world)
    assert (event.biz_step, event.disposition, event.subject_id) == ("shipping", "in_transit", str(shipment.id))
    assert (event.school_id, event.supplier_id, event.batch_id) == (world.school.id, world.supplier.id,
                                                                     world.batch.id)
    payload = json.loads(event.payload)
    assert (payload["quantity"], payload["declared_quantity"], payload["declared_unit"], payload["ship_date"]) == (
        "50.000", "2", "袋", days_ago(1).isoformat())
    assert event.occurred_at.date() <= days_ago(1)


def test_a_use_records_its_event_and_row(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    taken = use(session, world, "12.5", dish="米饭")
    session.commit()
    event = newest_batch_event(session, world)
    assert (event.biz_step, event.disposition, event.event_id, event.school_id) == (
        "dispensing", "available", taken.event_id, world.school.id)
    payload = json.loads(event.payload)
    assert (payload["quantity"], payload["use_date"], payload["meal"], payload["meal_zh"], payload["dish"]) == (
        "12.500", today().isoformat(), "lunch", "午餐", "米饭")
    assert (taken.school_id, taken.batch_id, taken.quantity, taken.used_by) == (
        world.school.id, world.batch.id, Decimal("12.500"), world.staff.id)


# --- use's guards ---------------------------------------------------------------------------------

def test_goods_cannot_be_used_before_the_day_they_were_received(session, world):
    shipment = world.ship(session, "100", ship_date=days_ago(3))
    world.receive(session, shipment, "100", receipt_date=days_ago(2))
    session.commit()
    error = refused(use, session, world, "1", use_date=days_ago(3))
    assert (error.code, error.details["receipt_date"]) == ("dates_out_of_order", days_ago(2).isoformat())
    assert use(session, world, "1", use_date=days_ago(2)).use_date == days_ago(2)


def test_use_dates_count_from_the_first_receipt_that_accepted_goods(session, world):
    first = world.ship(session, "10", ship_date=days_ago(4))
    world.receive(session, first, "0", "10", rejection_reason="破损", receipt_date=days_ago(3))
    second = world.ship(session, "10", ship_date=days_ago(2))
    world.receive(session, second, "10", receipt_date=days_ago(1))
    session.commit()
    assert refused(use, session, world, "1", use_date=days_ago(2)).code == "dates_out_of_order"


def test_a_use_dated_in_the_future_is_refused(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    session.commit()
    assert refused(use, session, world, "1", use_date=today() + timedelta(days=1)).code == "date_in_future"


@pytest.mark.parametrize("who", ["inspector", "supplier_user"])
def test_only_canteen_staff_or_an_admin_may_record_use(session, world, who):
    world.receive(session, world.ship(session, "100"), "100")
    session.commit()
    error = refused(use, session, world, "1", user=getattr(world, who), school_id=world.school.id)
    assert (error.code, error.status) == ("role_not_allowed", 403)


def test_an_admin_records_use_for_a_named_school(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    session.commit()
    assert refused(use, session, world, "1", user=world.admin).code == "school_required"
    taken = use(session, world, "1", user=world.admin, school_id=world.school.id)
    assert (taken.school_id, taken.used_by) == (world.school.id, world.admin.id)


def test_canteen_staff_record_use_only_for_their_own_school(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    other = make_school(session)
    session.commit()
    error = refused(use, session, world, "1", school_id=other.id)
    assert (error.code, error.status) == ("not_your_school", 403)
    assert use(session, world, "1", school_id=world.school.id).school_id == world.school.id


def test_a_batch_held_after_receipt_cannot_be_used_even_a_little(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    session.commit()
    set_status(session, world, "hold")
    assert refused(use, session, world, "0.001").code == "batch_on_hold"


# --- shipment's guards ----------------------------------------------------------------------------

def test_a_supplier_ships_only_its_own_batches(session, world):
    other = make_supplier(session)
    stranger = make_user(session, Role.supplier, supplier_id=other.id)
    session.commit()
    data = ShipmentCreate(batch_id=world.batch.id, order_line_id=world.line.id, quantity=Decimal("10"), unit="kg",
                          ship_date=days_ago(1))
    error = refused(canteen_service.shipment_create, session, actor=world.actor(stranger), data=data)
    assert (error.code, error.status) == ("not_your_batch", 403)
    assert canteen_service.shipment_create(session, actor=world.actor(world.supplier_user), data=data).quantity == Decimal("10.000")


def test_a_batch_cannot_be_shipped_before_it_was_produced(session, world):
    error = refused(world.ship, session, "10", ship_date=world.batch.production_date - timedelta(days=1))
    assert error.code == "dates_out_of_order"
    assert world.ship(session, "10", ship_date=world.batch.production_date).ship_date == world.batch.production_date


def test_goods_cannot_be_received_before_they_were_shipped(session, world):
    shipment = world.ship(session, "10", ship_date=days_ago(2))
    assert refused(world.receive, session, shipment, "10", receipt_date=days_ago(3)).code == "dates_out_of_order"
    assert world.receive(session, shipment, "10", receipt_date=days_ago(2)).receipt_date == days_ago(2)


def test_a_receipt_dated_in_the_future_is_refused(session, world):
    shipment = world.ship(session, "10")
    assert refused(world.receive, session, shipment, "10",
                   receipt_date=today() + timedelta(days=1)).code == "date_in_future"


# --- what each refusal says ----------------------------------------------------------------------

def assert_says(error: DomainError, code: str, zh: str, en: str, **details) -> None:
    assert (error.code, error.zh, error.en, error.details) == (code, zh, en, details)


def test_use_refusals_say_what_is_wrong_in_both_languages(session, world):
    lot = world.batch.lot_code
    assert_says(refused(use, session, world, "1"), "batch_not_in_stock", f"本校没有批次 {lot} 的库存",
                f"Batch {lot} is not in this school's stock", batch_id=world.batch.id)
    world.receive(session, world.ship(session, "10", ship_date=days_ago(2)), "10", receipt_date=days_ago(1))
    session.commit()
    assert_says(refused(use, session, world, "1", use_date=days_ago(2)), "dates_out_of_order",
                "出库日期早于验收日期", "Use date is before the goods were received",
                use_date=days_ago(2).isoformat(), receipt_date=days_ago(1).isoformat())
    assert_says(refused(use, session, world, "10.5"), "quantity_exceeds_stock",
                "出库数量超过库存（现有 10.000 kg）", "Using 10.500 kg exceeds what is on hand (10.000 kg)",
                requested="10.500", on_hand="10.000")
    assert_says(refused(use, session, world, "1", user=world.admin), "school_required",
                "请指定学校", "school_id is required")
    assert_says(refused(use, session, world, "1", user=world.inspector, school_id=world.school.id),
                "role_not_allowed", "只有食堂人员可以出库", "Only canteen staff may record use")
    assert_says(refused(use, session, world, "1", use_date=today() + timedelta(days=1)), "date_in_future",
                "出库日期不能晚于今天", "The use date cannot be in the future",
                date=(today() + timedelta(days=1)).isoformat())


def test_receipt_refusals_say_what_is_wrong_in_both_languages(session, world):
    shipment = world.ship(session, "10", ship_date=days_ago(1))
    session.commit()
    assert_says(refused(world.receive, session, shipment, "10", receipt_date=days_ago(2)), "dates_out_of_order",
                "验收日期早于发货日期", "Receipt date is before the ship date",
                receipt_date=days_ago(2).isoformat(), ship_date=days_ago(1).isoformat())
    assert_says(refused(world.receive, session, shipment, "5", "5"), "rejection_reason_required",
                "拒收时须填写原因", "Give a reason for the rejected quantity")
    assert_says(refused(world.receive, session, shipment, "10.5"), "quantity_exceeds_shipment",
                "验收数量超过发货数量（尚未验收 10.000 kg）",
                "Receiving 10.500 kg exceeds what was shipped and not yet received (10.000 kg)",
                requested="10.500", remaining="10.000")
    error = refused(receipt_checks.check_open, session, actor=world.actor(world.inspector),
                    data=ReceiptCheckCreate(shipment_id=shipment.id, accepted_quantity=Decimal("1"),
                                            rejected_quantity=Decimal("0"), unit="kg", receipt_date=today()))
    assert_says(error, "role_not_allowed", "只有食堂人员可以验收", "Only canteen staff may receive goods")
    assert error.status == 403


def test_shipment_refusals_say_what_is_wrong_in_both_languages(session, world):
    produced = world.batch.production_date
    assert_says(refused(world.ship, session, "10", ship_date=produced - timedelta(days=1)), "dates_out_of_order",
                "发货日期早于生产日期", "Ship date is before the production date",
                ship_date=(produced - timedelta(days=1)).isoformat(), production_date=produced.isoformat())
    assert_says(refused(world.ship, session, "1000.5"), "quantity_exceeds_batch",
                "发货数量超过批次剩余数量（剩余 1000.000 kg）",
                "Shipping 1000.500 kg exceeds what is left of the batch (1000.000 kg)",
                requested="1000.500", remaining="1000.000")
    other = make_product(session)
    line = make_order_line(session, world.school, world.supplier, other)
    session.commit()
    error = refused(world.ship, session, "10", order_line_id=line.id)
    assert (error.code, error.en) == ("order_line_mismatch",
                                      "The batch's supplier or product does not match the order line")
    assert error.details["line_number"] == 1


def test_a_held_batch_refusal_names_the_step_that_was_refused(session, world):
    lot = world.batch.lot_code
    shipment = world.ship(session, "10")
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()
    set_status(session, world, "hold")
    for error, zh, en in [
        (refused(world.ship, session, "1"), "发货", "shipped"),
        (refused(world.receive, session, shipment, "1"), "验收入库", "accepted"),
        (refused(use, session, world, "1"), "出库使用", "used"),
    ]:
        assert_says(error, "batch_on_hold", f"批次 {lot} 已被市场监管部门封存，解除封存前不能{zh}",
                    f"Batch {lot} is on hold and cannot be {en}", batch_id=world.batch.id)


def test_a_use_in_a_declared_package_unit_is_converted(session, world):
    world.receive(session, world.ship(session, "100"), "100")
    assert use(session, world, "2", unit="袋").quantity == Decimal("50.000")
