"""Quantities are conserved, whatever a day throws at the services (property-based, hypothesis).

One batch of 200 kg is shipped to three schools, received (accepted, rejected or both) and
used in their kitchens by any sequence of calls, valid or not: too much, the wrong unit, the
wrong school's staff, a rejection without a reason. A small model says which calls the rules
allow; the services must agree on every call, and afterwards:

- shipped ≤ the batch's quantity, and the batch's running total is the sum of its shipments;
- per shipment, received + rejected ≤ shipped, and its running total is the sum of its receipts;
- per school, used ≤ accepted, and its stock says on hand = accepted − used;
- a refused call wrote nothing (checked before its savepoint is rolled back), and every allowed
  call wrote exactly one custody event on the batch's chain.

Receipts and uses are also corrected (canteens.corrections), rightly or not: a superseded record, the
wrong school, a change that changes nothing, un-receiving what was used, using more than is on hand.
Only the newest record of each chain counts in the sums above.

Each example runs in one transaction on the same world, rolled back at its end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import Session

from canteens import corrections, receipt_checks, service
from canteens.correction_schemas import ReceiptCorrection, UseCorrection
from canteens.models import KitchenUse, Receipt, School, Shipment, Stock
from canteens.schemas import ReceiptCheckCreate, ShipmentCreate, UseCreate
from suppliers.models import Batch
from tests.factories import days_ago, make_batch, make_order_line, make_school, make_user, make_world, today
from trace.custody import Actor
from trace.errors import DomainError
from trace.models import CustodyEvent, Role, User

BATCH_KG = Decimal("200")
UNITS = {"kg": Decimal("1"), "袋": Decimal("25"), "箱": None}  # 箱 is not declared for the product
SCHOOLS = 3


@dataclass
class Place:
    school: School
    staff: User
    line_id: int
    second: User  # the second checker of its receipts (双人联检)


@dataclass
class Stage:
    batch_id: int
    supplier: Actor
    places: list[Place]


@pytest.fixture
def stage(session: Session) -> Stage:
    world = make_world(session)  # the product counts in kg, with 袋 = 25 kg
    batch = make_batch(session, world.supplier, world.product, world.actor(world.supplier_user), quantity=BATCH_KG)
    places = [Place(world.school, world.staff, make_order_line(session, world.school, world.supplier, world.product).id,
                    world.staff2)]
    for _ in range(SCHOOLS - 1):
        school = make_school(session)
        places.append(Place(school, make_user(session, Role.canteen_staff, school_id=school.id),
                            make_order_line(session, school, world.supplier, world.product).id,
                            make_user(session, Role.canteen_staff, school_id=school.id)))
    session.commit()
    return Stage(batch.id, world.actor(world.supplier_user), places)


# --- the calls a day may bring ---------------------------------------------------------------

def amounts(most_kg: int, most_bags: int):  # type: ignore[no-untyped-def]
    """(unit, amount): mostly kilograms in halves, a few bags of 25 kg, a few boxes nobody declared."""
    kilograms = st.tuples(st.just("kg"), st.integers(min_value=1, max_value=2 * most_kg).map(lambda n: Decimal(n) / 2))
    counted = st.integers(min_value=1, max_value=most_bags).map(Decimal)
    return st.one_of(kilograms, kilograms, kilograms, st.tuples(st.just("袋"), counted),
                     st.tuples(st.just("箱"), counted))


# A share of what is left, in tenths (11 and 12 are more than is left), so that receipts and use
# land near their limits as often as far from them.
shares = st.tuples(st.just("share"), st.integers(min_value=1, max_value=12))


def resolved(amount: tuple, left: Decimal) -> tuple[str, Decimal]:
    """(unit, amount) for the call, a share turned into kilograms (in halves, at least one)."""
    if amount[0] != "share":
        return amount
    return "kg", max(Decimal(int(left * amount[1] / 5)) / 2, Decimal("0.5"))


place = st.integers(min_value=0, max_value=SCHOOLS - 1)
own_staff = st.none()  # the staff of the school the shipment went to

ship = st.tuples(st.just("ship"), place, amounts(80, 3))
# (which shipment so far, whose staff, accepted, rejected in the same unit, a reason given?)
receive = st.tuples(st.just("receive"), st.integers(min_value=0, max_value=20), st.one_of(own_staff, own_staff, place),
                    st.one_of(amounts(50, 2), shares, shares),
                    st.one_of(st.just(Decimal(0)), st.just(Decimal(0)), st.integers(1, 2).map(Decimal)),
                    st.sampled_from([True, True, True, False]))
# (a school holding stock, or any school; amount)
use = st.tuples(st.just("use"), st.integers(min_value=0, max_value=20), st.one_of(st.none(), st.none(), place),
                st.one_of(amounts(40, 1), shares, shares))
# (which receipt so far, whose staff, the new accepted, the new rejected in the same unit, a reason given?)
correct_receipt = st.tuples(st.just("correct_receipt"), st.integers(min_value=0, max_value=20),
                            st.one_of(own_staff, own_staff, place), st.one_of(amounts(50, 2), shares, shares),
                            st.one_of(st.just(Decimal(0)), st.integers(1, 2).map(Decimal)),
                            st.sampled_from([True, True, False]))
# (which use so far, whose staff, the new quantity: a share of what is on hand, or 0)
correct_use = st.tuples(st.just("correct_use"), st.integers(min_value=0, max_value=20),
                        st.one_of(own_staff, own_staff, place),
                        st.one_of(shares, shares, st.just(("kg", Decimal(0))), amounts(40, 1)))
days = st.lists(st.one_of(ship, receive, receive, use, use, correct_receipt, correct_use), min_size=6, max_size=30)


@dataclass
class Model:
    """What the rules allow, in base units (kg)."""

    shipped: Decimal = Decimal(0)
    shipments: list[tuple[int, Decimal]] = field(default_factory=list)  # (place, quantity) in shipping order
    accounted: dict[int, Decimal] = field(default_factory=dict)  # per shipment index
    accepted: dict[int, Decimal] = field(default_factory=dict)  # per place
    used: dict[int, Decimal] = field(default_factory=dict)  # per place
    # Every receipt and use written, corrections too: [id, shipment index or None, place, kg…, newest?]
    receipts: list[list] = field(default_factory=list)  # [id, shipment index, place, accepted, rejected, newest]
    uses: list[list] = field(default_factory=list)  # [id, place, quantity, newest]


def _ledger(session: Session, batch_id: int) -> tuple:
    """Every row and running total the three services write, read back from the database."""
    def one(statement):  # type: ignore[no-untyped-def]
        return session.execute(statement).scalar_one()

    return (
        one(select(Batch.shipped_quantity).where(Batch.id == batch_id)),
        one(select(func.count()).select_from(Shipment).where(Shipment.batch_id == batch_id)),
        one(select(func.coalesce(func.sum(Shipment.accounted_quantity), 0)).where(Shipment.batch_id == batch_id)),
        one(select(func.count()).select_from(Receipt).where(Receipt.batch_id == batch_id)),
        one(select(func.count()).select_from(KitchenUse).where(KitchenUse.batch_id == batch_id)),
        tuple(session.execute(select(Stock.school_id, Stock.received_quantity, Stock.used_quantity)
                              .where(Stock.batch_id == batch_id).order_by(Stock.school_id)).all()),
        one(select(func.count()).select_from(CustodyEvent)),
    )


def _play(session: Session, stage: Stage, model: Model, shipment_ids: list[int], call: tuple) -> bool:
    """Make one call; return whether the model allows it. The model moves only if it does."""
    kind = call[0]
    written: list[int] = []  # the id of the receipt or use the call wrote
    if kind == "ship":
        _, where, (unit, quantity) = call
        factor = UNITS[unit]
        amount = quantity * factor if factor else None
        allowed = amount is not None and model.shipped + amount <= BATCH_KG

        def attempt():  # type: ignore[no-untyped-def]
            made = service.shipment_create(session, actor=stage.supplier, data=ShipmentCreate(
                batch_id=stage.batch_id, order_line_id=stage.places[where].line_id, quantity=quantity, unit=unit,
                ship_date=days_ago(1)))
            shipment_ids.append(made.id)

        def record():  # type: ignore[no-untyped-def]
            model.shipped += amount
            model.shipments.append((where, amount))
    elif kind == "receive":
        _, pick, by, accepted, rejected, reason = call
        if not model.shipments:
            return False  # nothing shipped yet: there is no shipment to name
        index = pick % len(model.shipments)
        destination, shipped = model.shipments[index]
        unit, accepted = resolved(accepted, shipped - model.accounted.get(index, Decimal(0)))
        by = destination if by is None else by
        factor = UNITS[unit]
        counted = (accepted + rejected) * factor if factor else None
        allowed = (by == destination and factor is not None and (rejected == 0 or reason)
                   and model.accounted.get(index, Decimal(0)) + counted <= shipped)

        def attempt():  # type: ignore[no-untyped-def]
            # Two people: one of the school's staff opens the check, the other confirms it.
            check = receipt_checks.check_open(session, actor=Actor.of(stage.places[by].staff), data=ReceiptCheckCreate(
                shipment_id=shipment_ids[index], accepted_quantity=accepted, rejected_quantity=rejected, unit=unit,
                rejection_reason="包装破损" if reason else "", rejected_disposal="returned" if rejected > 0 else None,
                certificates_checked=["检验报告"], receipt_date=today()))
            written.append(receipt_checks.check_confirm(session, actor=Actor.of(stage.places[by].second),
                                                        check_id=check.id).id)

        def record():  # type: ignore[no-untyped-def]
            model.accounted[index] = model.accounted.get(index, Decimal(0)) + counted
            model.accepted[destination] = model.accepted.get(destination, Decimal(0)) + accepted * factor
            model.receipts.append([written[-1], index, destination, accepted * factor, rejected * factor, True])
    elif kind == "correct_receipt":
        _, pick, by, accepted, rejected, reason = call
        if not model.receipts:
            return False
        old = model.receipts[pick % len(model.receipts)]
        old_id, index, destination, old_accepted, old_rejected, newest = old
        shipped = model.shipments[index][1]
        unit, accepted = resolved(accepted, shipped - model.accounted[index] + old_accepted + old_rejected)
        by = destination if by is None else by
        factor = UNITS[unit]
        new_accepted = accepted * factor if factor else None
        new_rejected = rejected * factor if factor else None
        allowed = (by == destination and newest and factor is not None and (rejected == 0 or reason)
                   and (new_accepted, new_rejected) != (old_accepted, old_rejected)
                   and model.accounted[index] - old_accepted - old_rejected + new_accepted + new_rejected <= shipped
                   and model.accepted.get(destination, Decimal(0)) - old_accepted + new_accepted
                   >= model.used.get(destination, Decimal(0)))

        def attempt():  # type: ignore[no-untyped-def]
            written.append(corrections.receipt_correct(
                session, actor=Actor.of(stage.places[by].staff), receipt_id=old_id, data=ReceiptCorrection(
                    accepted_quantity=accepted, rejected_quantity=rejected, unit=unit,
                    rejection_reason="包装破损" if reason else "", reason="点数有误")).id)

        def record():  # type: ignore[no-untyped-def]
            old[5] = False
            model.accounted[index] += new_accepted + new_rejected - old_accepted - old_rejected
            model.accepted[destination] = model.accepted.get(destination, Decimal(0)) + new_accepted - old_accepted
            model.receipts.append([written[-1], index, destination, new_accepted, new_rejected, True])
    elif kind == "correct_use":
        _, pick, by, amount = call
        if not model.uses:
            return False
        old = model.uses[pick % len(model.uses)]
        old_id, where, old_quantity, newest = old
        on_hand = model.accepted.get(where, Decimal(0)) - model.used.get(where, Decimal(0))
        unit, quantity = resolved(amount, on_hand + old_quantity) if amount[1] != 0 else amount
        by = where if by is None else by
        factor = UNITS[unit]
        new_quantity = quantity * factor if factor else None
        allowed = (by == where and newest and factor is not None and new_quantity != old_quantity
                   and new_quantity - old_quantity <= on_hand)

        def attempt():  # type: ignore[no-untyped-def]
            written.append(corrections.use_correct(
                session, actor=Actor.of(stage.places[by].staff), use_id=old_id,
                data=UseCorrection(quantity=quantity, unit=unit, reason="称重有误")).id)

        def record():  # type: ignore[no-untyped-def]
            old[3] = False
            model.used[where] += new_quantity - old_quantity
            model.uses.append([written[-1], where, new_quantity, True])
    else:
        _, pick, where, amount = call
        if where is None:
            stocked = [w for w, kg in sorted(model.accepted.items()) if kg > 0] or [0]
            where = stocked[pick % len(stocked)]
        on_hand = model.accepted.get(where, Decimal(0)) - model.used.get(where, Decimal(0))
        unit, quantity = resolved(amount, on_hand)
        factor = UNITS[unit]
        amount = quantity * factor if factor else None
        allowed = amount is not None and amount <= on_hand

        def attempt():  # type: ignore[no-untyped-def]
            written.append(service.use_create(session, actor=Actor.of(stage.places[where].staff), data=UseCreate(
                batch_id=stage.batch_id, quantity=quantity, unit=unit, use_date=today(), meal="lunch",
                dish="米饭")).id)

        def record():  # type: ignore[no-untyped-def]
            model.used[where] = model.used.get(where, Decimal(0)) + amount
            model.uses.append([written[-1], where, amount, True])

    before = _ledger(session, stage.batch_id)
    savepoint = session.begin_nested()
    try:
        attempt()
    except DomainError as refused:
        assert _ledger(session, stage.batch_id) == before, f"{call} was refused ({refused.code}) but wrote"
        savepoint.rollback()
        event(f"refused {kind}: {refused.code}")
        assert not allowed, f"{call} should have been allowed, was refused: {refused.code}"
        return False
    savepoint.commit()
    assert allowed, f"{call} should have been refused"
    event(f"allowed {kind}")
    record()
    return True


def _assert_conserved(session: Session, stage: Stage, model: Model, shipment_ids: list[int]) -> None:
    batch = session.execute(select(Batch).where(Batch.id == stage.batch_id)).scalar_one()
    shipments = {s.id: s for s in session.execute(select(Shipment).where(Shipment.batch_id == stage.batch_id))
                 .scalars()}
    receipts = list(session.execute(select(Receipt).where(Receipt.batch_id == stage.batch_id)).scalars())
    uses = list(session.execute(select(KitchenUse).where(KitchenUse.batch_id == stage.batch_id)).scalars())
    # Only the newest record of each chain of corrections counts.
    replaced_receipts = {r.corrects_receipt_id for r in receipts}
    replaced_uses = {u.corrects_use_id for u in uses}
    receipts = [r for r in receipts if r.id not in replaced_receipts]
    uses = [u for u in uses if u.id not in replaced_uses]
    assert len(receipts) == sum(r[5] for r in model.receipts) and len(uses) == sum(u[3] for u in model.uses)
    stock = {s.school_id: s for s in session.execute(select(Stock).where(Stock.batch_id == stage.batch_id))
             .scalars()}

    assert batch.shipped_quantity == sum((s.quantity for s in shipments.values()), Decimal(0)) == model.shipped
    assert batch.shipped_quantity <= batch.quantity
    for index, shipment_id in enumerate(shipment_ids):
        shipment = shipments[shipment_id]
        counted = sum((r.accepted_quantity + r.rejected_quantity for r in receipts if r.shipment_id == shipment_id),
                      Decimal(0))
        assert shipment.accounted_quantity == counted == model.accounted.get(index, Decimal(0))
        assert counted <= shipment.quantity
    for where, place_ in enumerate(stage.places):
        school_id = place_.school.id
        accepted = sum((r.accepted_quantity for r in receipts if r.school_id == school_id), Decimal(0))
        used = sum((u.quantity for u in uses if u.school_id == school_id), Decimal(0))
        assert used <= accepted
        assert (accepted, used) == (model.accepted.get(where, Decimal(0)), model.used.get(where, Decimal(0)))
        if school_id in stock:
            row = stock[school_id]
            assert (row.received_quantity, row.used_quantity) == (accepted, used)
            assert row.on_hand == accepted - used
        else:
            assert accepted == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=days)
def test_quantities_are_conserved_over_any_sequence_of_calls(engine, stage: Stage, day) -> None:
    with Session(engine, expire_on_commit=False) as session:
        session.begin()
        try:
            events = session.execute(select(func.count()).select_from(CustodyEvent)
                                     .where(CustodyEvent.stream == f"batch:{stage.batch_id}")).scalar_one()
            model, shipment_ids = Model(), []
            allowed = sum(_play(session, stage, model, shipment_ids, call) for call in day)
            _assert_conserved(session, stage, model, shipment_ids)
            assert session.execute(select(func.count()).select_from(CustodyEvent)
                                   .where(CustodyEvent.stream == f"batch:{stage.batch_id}")).scalar_one() == \
                events + allowed
        finally:
            session.rollback()
