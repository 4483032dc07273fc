"""Corrections: a wrong receipt or use is put right by a new record that names it, never by an edit.

The rules (canteens.corrections): the school's canteen staff and admins correct, within the
correction window counted from the first record; only the newest record of a chain is corrected;
a correction states the whole new quantities and a reason, and must change something. The
shipment's total and the school's stock move by the difference, re-checked like the first record
(never more than shipped, never un-receive what was used, never use more than on hand), and the
gates of a hold, recall or expiry apply to taking more. Reads follow: lists show both records,
each naming the other; everything that counts, counts only the newest.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from canteens import corrections, meals, selectors
from canteens import service as canteen_service
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.meal_review import meal_view
from canteens.meals import meals_of_batch
from canteens.models import Meal, Receipt, Shipment, Stock
from canteens.schemas import UseCreate
from inspections import service as inspection_service
from tests.factories import bearer, days_ago, make_school, make_user, make_world, today
from tests.helpers import assert_refused
from trace.custody import Actor
from trace.db import utcnow
from trace.errors import Conflict, Invalid
from trace.models import CustodyEvent, Role
from trace.queries import trace_backward, trace_forward


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def receipt(session, world):
    receipt = world.receive(session, world.ship(session, "100", ship_date=days_ago(1)), "100", "0",
                            receipt_date=today())
    session.commit()
    return receipt


def _use(session, world, quantity="30", meal=Meal.lunch):
    use = canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
        batch_id=world.batch.id, quantity=Decimal(quantity), unit="kg", use_date=today(), meal=meal, dish="米饭"))
    session.commit()
    return use


def _post(client, session, user, path, body):
    return client.post(f"/api/v1{path}", json=body, headers=bearer(session, user))


def _stock(session, world):
    session.expire_all()
    return session.execute(select(Stock).where(Stock.school_id == world.school.id,
                                               Stock.batch_id == world.batch.id)).scalar_one()


def _accounted(session, shipment_id):
    session.expire_all()
    return session.get(Shipment, shipment_id).accounted_quantity


def _correct_receipt(accepted, rejected="0", reason="点数有误", **more):
    return ReceiptCorrection(accepted_quantity=Decimal(accepted), rejected_quantity=Decimal(rejected), unit="kg",
                             reason=reason, **more)


# --- correcting a receipt ------------------------------------------------------------------------------


def test_a_receipt_is_corrected_by_a_new_receipt_that_names_it(client, session, world, receipt):
    response = _post(client, session, world.staff, f"/receipts/{receipt.id}/corrections",
                     {"accepted_quantity": "90", "rejected_quantity": "10", "unit": "kg",
                      "rejection_reason": "两袋破损", "reason": "验收时漏记破损"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] != receipt.id and body["corrects_receipt_id"] == receipt.id
    assert (body["accepted_quantity"], body["rejected_quantity"]) == ("90.000", "10.000")
    assert body["correction_reason"] == "验收时漏记破损" and body["rejection_reason"] == "两袋破损"
    assert body["shipment_id"] == receipt.shipment_id and body["receipt_date"] == receipt.receipt_date.isoformat()
    # The corrected receipt is untouched, and says what corrected it.
    old = client.get(f"/api/v1/receipts/{receipt.id}", headers=bearer(session, world.staff)).json()
    assert (old["accepted_quantity"], old["corrected_by_receipt_id"]) == ("100.000", body["id"])
    # The stock and the shipment's total moved by the difference.
    stock = _stock(session, world)
    assert stock.received_quantity == Decimal("90.000")
    assert _accounted(session, receipt.shipment_id) == Decimal("100.000")


def test_the_correction_is_a_receiving_event_that_points_at_the_corrected_one(session, world, receipt):
    new = corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                      data=_correct_receipt("80", reason="少点了"))
    session.commit()

    event = session.execute(select(CustodyEvent).where(CustodyEvent.event_id == new.event_id)).scalar_one()
    assert event.stream == f"batch:{world.batch.id}" and event.biz_step == "receiving"
    assert event.corrects_event_id == receipt.event_id
    payload = json.loads(event.payload)
    assert payload["corrects_receipt_id"] == receipt.id and payload["reason"] == "少点了"
    assert (Decimal(payload["previous_accepted_quantity"]), Decimal(payload["accepted_quantity"])) == (100, 80)


def test_the_trace_shows_both_records_and_counts_the_corrected_quantities(session, world, receipt):
    new = corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                      data=_correct_receipt("70", "30", rejection_reason="霉变"))
    session.commit()

    backward = trace_backward(session, Actor.of(world.inspector), world.batch.id)
    listed = {r.id: r for r in backward["receipts"]}
    assert set(listed) == {receipt.id, new.id}
    assert listed[receipt.id].corrected_by_receipt_id == new.id
    assert listed[new.id].corrects_receipt_id == receipt.id and listed[new.id].corrected_by_receipt_id is None
    corrected = [e for e in backward["events"] if e.corrects_event_id == receipt.event_id]
    assert [e.event_id for e in corrected] == [new.event_id]
    destination, = trace_forward(session, Actor.of(world.inspector), world.batch.id)["destinations"]
    assert (destination["received_quantity"], destination["rejected_quantity"]) == (Decimal("70"), Decimal("30"))
    assert destination["in_transit_quantity"] == 0


def test_the_schools_lists_show_both_and_the_deliveries_count_the_newest(client, session, world, receipt):
    corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                data=_correct_receipt("60", "40", rejection_reason="数量不符"))
    session.commit()

    listed = client.get(f"/api/v1/schools/{world.school.id}/receipts", headers=bearer(session, world.staff)).json()
    assert [(r["accepted_quantity"], r["corrects_receipt_id"], r["corrected_by_receipt_id"]) for r in listed] == [
        ("100.000", None, listed[1]["id"]), ("60.000", receipt.id, None)]
    shipped = selectors.shipments_of_supplier(session, world.supplier.id)
    assert [(s.accepted, s.rejected) for s in shipped] == [(Decimal("60"), Decimal("40"))]


def test_only_the_newest_record_is_corrected_and_a_correction_may_be_corrected(client, session, world, receipt):
    first = corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                        data=_correct_receipt("90"))
    session.commit()

    error = assert_refused(_post(client, session, world.staff, f"/receipts/{receipt.id}/corrections",
                                 {"accepted_quantity": "95", "rejected_quantity": "0", "unit": "kg", "reason": "再改"}),
                           409, "receipt_already_corrected")
    assert error["details"]["corrected_by_receipt_id"] == first.id
    assert str(first.id) in error["message"]["zh-CN"]
    again = _post(client, session, world.staff, f"/receipts/{first.id}/corrections",
                  {"accepted_quantity": "95", "rejected_quantity": "0", "unit": "kg", "reason": "再次清点"})
    assert again.status_code == 201, again.text
    assert _stock(session, world).received_quantity == Decimal("95")


def test_what_was_used_cannot_be_un_received(client, session, world, receipt):
    _use(session, world, "70")

    error = assert_refused(_post(client, session, world.staff, f"/receipts/{receipt.id}/corrections",
                                 {"accepted_quantity": "60", "rejected_quantity": "0", "unit": "kg",
                                  "reason": "点错"}), 409, "correction_below_used")
    assert error["details"]["used"] == "70.000" and error["details"]["received"] == "100.000"
    assert "70" in error["message"]["zh-CN"] and "30" in error["message"]["zh-CN"]
    # Nothing was written: no receipt, the shipment and the stock as they were.
    assert session.execute(select(Receipt).where(Receipt.corrects_receipt_id == receipt.id)).first() is None
    assert _stock(session, world).received_quantity == Decimal("100")
    assert _accounted(session, receipt.shipment_id) == Decimal("100")
    # Down to exactly what was used is allowed.
    corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                data=_correct_receipt("70", "30", rejection_reason="退回"))
    session.commit()
    assert _stock(session, world).on_hand == 0


def test_a_correction_never_counts_more_than_was_shipped(client, session, world, receipt):
    assert_refused(_post(client, session, world.staff, f"/receipts/{receipt.id}/corrections",
                         {"accepted_quantity": "100", "rejected_quantity": "5", "unit": "kg",
                          "rejection_reason": "x", "reason": "多记"}), 409, "quantity_exceeds_shipment")


def test_accepting_more_of_a_held_batch_is_refused_and_accepting_less_is_not(session, world):
    receipt = world.receive(session, world.ship(session, "100"), "50", "50", rejection_reason="包装破损")
    session.commit()
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="抽检阳性")
    session.commit()

    with pytest.raises(Conflict) as refused:
        corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                    data=_correct_receipt("60", "40"))
    assert refused.value.code == "batch_on_hold"
    session.rollback()
    corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                data=_correct_receipt("40", "60"))
    session.commit()
    assert _stock(session, world).received_quantity == Decimal("40")


def test_a_correction_must_change_something_and_say_why(client, session, world, receipt):
    path = f"/receipts/{receipt.id}/corrections"
    assert_refused(_post(client, session, world.staff, path, {"accepted_quantity": "100", "rejected_quantity": "0",
                                                               "unit": "kg", "reason": "没变"}),
                   422, "correction_changes_nothing")
    assert_refused(_post(client, session, world.staff, path, {"accepted_quantity": "90", "rejected_quantity": "0",
                                                               "unit": "kg", "reason": "   "}),
                   422, "correction_reason_required")
    assert _post(client, session, world.staff, path, {"accepted_quantity": "90", "rejected_quantity": "0",
                                                       "unit": "kg"}).status_code == 422
    assert_refused(_post(client, session, world.staff, path, {"accepted_quantity": "90", "rejected_quantity": "10",
                                                               "unit": "kg", "rejection_reason": "",
                                                               "reason": "漏记"}),
                   422, "rejection_reason_required")


def test_the_window_counts_from_the_first_record(client, session, world, receipt, monkeypatch):
    first = corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                        data=_correct_receipt("90"))
    session.commit()
    # The first receipt was written 73 hours ago (the default window is 72 hours).
    session.execute(update(Receipt).where(Receipt.id == receipt.id).values(received_at=utcnow() - timedelta(hours=73)))
    session.commit()

    error = assert_refused(_post(client, session, world.staff, f"/receipts/{first.id}/corrections",
                                 {"accepted_quantity": "80", "rejected_quantity": "0", "unit": "kg",
                                  "reason": "再改"}), 409, "correction_window_passed")
    assert error["details"]["window_hours"] == 72


@pytest.mark.parametrize(("who", "status", "code"), [
    ("inspector", 403, "corrections_canteen_only"),
    ("supplier_user", 403, "corrections_canteen_only"),
    ("other_staff", 404, "receipt_not_found"),
])
def test_only_the_schools_staff_and_admins_correct_a_receipt(client, session, world, receipt, who, status, code):
    user = (make_user(session, Role.canteen_staff, school_id=make_school(session).id) if who == "other_staff"
            else getattr(world, who))
    assert_refused(_post(client, session, user, f"/receipts/{receipt.id}/corrections",
                         {"accepted_quantity": "90", "rejected_quantity": "0", "unit": "kg", "reason": "点错"}),
                   status, code)


def test_an_admin_may_correct_a_receipt(client, session, world, receipt):
    response = _post(client, session, world.admin, f"/receipts/{receipt.id}/corrections",
                     {"accepted_quantity": "90", "rejected_quantity": "0", "unit": "kg", "reason": "学校来电更正"})
    assert response.status_code == 201, response.text


# --- correcting a use ----------------------------------------------------------------------------------


def test_a_use_is_corrected_by_a_new_use_and_the_stock_follows(client, session, world, receipt):
    use = _use(session, world, "30")

    response = _post(client, session, world.staff, f"/uses/{use.id}/corrections",
                     {"quantity": "25", "unit": "kg", "reason": "称重多记 5 kg"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["corrects_use_id"], body["quantity"], body["meal"], body["dish"]) == (use.id, "25.000", "lunch", "米饭")
    assert _stock(session, world).used_quantity == Decimal("25")
    event = session.execute(select(CustodyEvent).where(CustodyEvent.event_id == body["event_id"])).scalar_one()
    assert (event.biz_step, event.corrects_event_id) == ("dispensing", use.event_id)
    assert json.loads(event.payload)["previous_quantity"] == "30.000"
    listed = client.get(f"/api/v1/schools/{world.school.id}/uses", headers=bearer(session, world.staff)).json()
    assert [(u["quantity"], u["corrects_use_id"], u["corrected_by_use_id"]) for u in listed] == [
        ("30.000", None, body["id"]), ("25.000", use.id, None)]


def test_a_use_corrected_to_nothing_leaves_the_meal_and_the_recall_list(session, world, receipt):
    use = _use(session, world, "30")
    corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                            data=UseCorrection(quantity=Decimal(0), unit="kg", reason="记错批次"))
    session.commit()

    assert _stock(session, world).used_quantity == 0
    assert meals_of_batch(session, world.batch.id) == []
    destination, = trace_forward(session, Actor.of(world.inspector), world.batch.id)["destinations"]
    assert destination["used_quantity"] == 0 and destination["last_used_on"] is None


def test_the_meals_of_a_lot_count_the_corrected_quantity(session, world, receipt):
    use = _use(session, world, "30")
    corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                            data=UseCorrection(quantity=Decimal("12.5"), unit="kg", reason="称重有误"))
    session.commit()

    meal, = meals_of_batch(session, world.batch.id)
    assert meal.quantity == Decimal("12.5")


def test_a_use_cannot_be_corrected_beyond_what_is_on_hand(client, session, world, receipt):
    use = _use(session, world, "30")
    error = assert_refused(_post(client, session, world.staff, f"/uses/{use.id}/corrections",
                                 {"quantity": "101", "unit": "kg", "reason": "多领"}), 409, "quantity_exceeds_stock")
    assert error["details"]["on_hand"] == "70.000"
    assert _stock(session, world).used_quantity == Decimal("30")


def test_using_more_of_a_held_lot_is_refused_and_using_less_is_not(session, world, receipt):
    use = _use(session, world, "30")
    inspection_service.batch_change_status(session, actor=Actor.of(world.inspector), batch_id=world.batch.id,
                                           action="hold", reason="抽检阳性")
    session.commit()

    with pytest.raises(Conflict) as refused:
        corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                                data=UseCorrection(quantity=Decimal("40"), unit="kg", reason="多领"))
    assert refused.value.code == "batch_on_hold"
    session.rollback()
    corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                            data=UseCorrection(quantity=Decimal("0"), unit="kg", reason="封存前未使用"))
    session.commit()
    assert _stock(session, world).used_quantity == 0


def test_a_superseded_use_is_refused_naming_the_newer_one(client, session, world, receipt):
    use = _use(session, world, "30")
    newer = corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                                    data=UseCorrection(quantity=Decimal("20"), unit="kg", reason="称重有误"))
    session.commit()

    error = assert_refused(_post(client, session, world.staff, f"/uses/{use.id}/corrections",
                                 {"quantity": "10", "unit": "kg", "reason": "再改"}), 409, "use_already_corrected")
    assert error["details"]["corrected_by_use_id"] == newer.id
    assert_refused(_post(client, session, world.staff, f"/uses/{newer.id}/corrections",
                         {"quantity": "20", "unit": "kg", "reason": "没变"}), 422, "correction_changes_nothing")


@pytest.mark.parametrize(("who", "status", "code"), [
    ("inspector", 403, "corrections_canteen_only"),
    ("supplier_user", 403, "corrections_canteen_only"),
    ("other_staff", 404, "use_not_found"),
])
def test_only_the_schools_staff_and_admins_correct_a_use(client, session, world, receipt, who, status, code):
    use = _use(session, world, "30")
    user = (make_user(session, Role.canteen_staff, school_id=make_school(session).id) if who == "other_staff"
            else getattr(world, who))
    assert_refused(_post(client, session, user, f"/uses/{use.id}/corrections",
                         {"quantity": "20", "unit": "kg", "reason": "称重有误"}), status, code)


def test_a_use_that_does_not_exist_is_not_found(client, session, world):
    assert_refused(_post(client, session, world.staff, "/uses/999/corrections",
                         {"quantity": "20", "unit": "kg", "reason": "称重有误"}), 404, "use_not_found")


def test_a_rejection_corrected_to_an_acceptance_passes_the_acceptance_gates_and_fills_the_stock(session, world):
    receipt = world.receive(session, world.ship(session, "20"), "0", "20", rejection_reason="以为是别家的货")
    session.commit()

    corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                data=_correct_receipt("20", "0", rejection_reason="", reason="核对后是本校的货"))
    session.commit()

    assert _stock(session, world).received_quantity == Decimal("20")
    shipped = selectors.shipments_of_supplier(session, world.supplier.id)
    assert [s.state.value for s in shipped] == ["received"]


def test_accepting_goods_that_were_rejected_for_their_temperature_is_refused_as_their_acceptance_was(session):
    world = make_world(session, category="肉类", name="猪前腿肉（冷鲜）", storage="chilled", shelf_life_days=5,
                       storage_min_celsius=0, storage_max_celsius=4, conversions={})
    receipt = world.receive(session, world.ship(session, "10"), "0", "10", rejection_reason="到货 9 °C",
                            arrival_temperature_celsius=9)
    session.commit()

    with pytest.raises(Conflict) as refused:
        corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=receipt.id,
                                    data=_correct_receipt("10", "0", rejection_reason="", reason="其实收下了"))
    assert refused.value.code == "arrival_temperature_out_of_range"


# --- corrections and meals -----------------------------------------------------------------------------


def test_a_use_corrected_after_its_meal_was_served_is_named_as_corrected_not_as_a_late_use(session, world, receipt):
    meal = meals.meal_get_or_create(session, actor=Actor.of(world.staff), meal_date=today(), meal=Meal.lunch,
                                    dishes=["米饭"])
    use = meals.meal_use(session, actor=Actor.of(world.staff), meal_id=meal.id, batch_id=world.batch.id,
                         quantity=Decimal("20"), unit="kg", dish="米饭")
    meals.meal_serve(session, actor=Actor.of(world.staff), meal_id=meal.id)
    corrections.use_correct(session, actor=Actor.of(world.staff), use_id=use.id,
                            data=UseCorrection(quantity=Decimal("18"), unit="kg", reason="称重有误"))
    session.commit()

    session.expire_all()
    view = meal_view(session, meals.meal_get(session, meal.id))
    codes = [w["code"] for w in view.warnings]
    assert "use_corrected_after_serving" in codes and "use_after_serving" not in codes
    lot, = view.lots
    assert lot.quantity == Decimal("18") and [u.corrects_use_id for u in lot.uses] == [use.id]


def test_a_receipt_corrected_to_nothing_no_longer_dates_the_stock(session, world):
    first = world.receive(session, world.ship(session, "10", ship_date=days_ago(3)), "10", receipt_date=days_ago(3))
    world.receive(session, world.ship(session, "20", ship_date=days_ago(1)), "20", receipt_date=days_ago(1))
    corrections.receipt_correct(session, actor=Actor.of(world.staff), receipt_id=first.id,
                                data=_correct_receipt("0", "10", rejection_reason="未到货", reason="记错了批次"))
    session.commit()

    with pytest.raises(Invalid) as refused:
        canteen_service.use_create(session, actor=Actor.of(world.staff), data=UseCreate(
            batch_id=world.batch.id, quantity=Decimal(5), unit="kg", use_date=days_ago(2), meal=Meal.lunch))
    assert refused.value.code == "dates_out_of_order"
