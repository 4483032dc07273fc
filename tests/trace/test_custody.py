"""Appending custody events inside transactions: what one transaction remembers of a chain
(its locked head, a supplier's licences) never outlives a commit, a rollback or a savepoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from canteens.models import OrderLine, OrderRevision, PurchaseOrder
from suppliers import service as supplier_service
from suppliers.schemas import LicenceCreate
from tests.factories import days_ago, make_order_line, make_product, make_school, make_supplier, today
from trace.accounts import system_actor
from trace.checkpoints import verify_log
from trace.custody import record_event
from trace.errors import Conflict
from trace.models import ChainHead, CustodyEvent


def append(session: Session, stream: str = "test:1"):
    return record_event(session, stream=stream, biz_step="inspecting", action="OBSERVE", actor=system_actor(),
                        subject_type="test", subject_id=1, payload={"n": 1})


def test_events_in_one_transaction_follow_each_other(session: Session) -> None:
    first, second = append(session), append(session)
    session.commit()

    assert (first.seq, second.seq) == (1, 2)
    assert verify_log(session).ok


def test_the_database_moves_a_chains_head_with_each_event(session: Session) -> None:
    append(session, "test:head")
    second = append(session, "test:head")
    session.commit()

    head = session.get(ChainHead, "test:head")
    assert (head.seq, head.hash) == (second.seq, second.hash)


def test_a_chains_head_never_moves_backwards(session: Session) -> None:
    newest = append(session, "test:forward")
    append(session, "test:forward")
    session.commit()
    # An out-of-order row (seq 0) slipped into the log directly does not rewind the head.
    stray = {column.name: getattr(session.get(CustodyEvent, newest.id), column.name)
             for column in CustodyEvent.__table__.columns if column.name != "id"}
    session.execute(insert(CustodyEvent.__table__).values(**{**stray, "seq": 0, "event_id": "stray"}))
    session.commit()

    assert session.get(ChainHead, "test:forward").seq == 2


def test_a_rolled_back_transaction_leaves_no_trace_in_the_chain(session: Session) -> None:
    append(session)
    session.commit()
    append(session)
    session.rollback()

    again = append(session)
    session.commit()

    assert again.seq == 2
    assert verify_log(session).ok


def test_a_rolled_back_savepoint_does_not_leave_the_chain_pointing_at_its_event(session: Session) -> None:
    append(session)
    savepoint = session.begin_nested()
    append(session)
    savepoint.rollback()

    after = append(session)
    session.commit()

    assert after.seq == 2
    report = verify_log(session)
    assert report.ok, report.as_dict()["first_problem"]


def test_a_licence_added_in_a_rolled_back_savepoint_does_not_count(session: Session) -> None:
    expired = LicenceCreate(kind="food_business", number="JY13701140099991", issued_on=days_ago(1500),
                            expires_on=days_ago(30))
    supplier = make_supplier(session, licences=[expired])
    with pytest.raises(Conflict):
        supplier_service.supplier_assert_may_supply(session, supplier, today())

    savepoint = session.begin_nested()
    supplier_service.licence_add(session, actor=system_actor(), supplier_id=supplier.id, data=LicenceCreate(
        kind="food_business", number="JY13701140099992", issued_on=days_ago(10),
        expires_on=today() + timedelta(days=1000)))
    supplier_service.supplier_assert_may_supply(session, supplier, today())
    savepoint.rollback()

    with pytest.raises(Conflict) as refused:
        supplier_service.supplier_assert_may_supply(session, supplier, today())
    assert refused.value.code == "supplier_licence_expired"


def test_rows_written_in_a_rolled_back_savepoint_leave_the_session(session: Session) -> None:
    supplier, product, school = make_supplier(session), make_product(session), make_school(session)
    kept = make_order_line(session, school, supplier, product)
    savepoint = session.begin_nested()
    undone = make_order_line(session, school, supplier, product)
    order_id = session.get(OrderRevision, undone.revision_id).order_id
    savepoint.rollback()

    assert session.get(OrderLine, undone.id) is None
    assert session.get(OrderLine, kept.id) is not None
    assert session.get(PurchaseOrder, order_id) is None  # not a ghost from the identity map


def test_rows_written_in_a_rolled_back_transaction_leave_the_session(session: Session) -> None:
    supplier, product, school = make_supplier(session), make_product(session), make_school(session)
    session.commit()
    line = make_order_line(session, school, supplier, product)
    session.rollback()

    assert session.get(OrderLine, line.id) is None
    # SQLite reuses the rolled-back row id: the next insert must not collide with a ghost.
    again = make_order_line(session, school, supplier, product)
    session.commit()
    assert session.get(OrderLine, again.id) is not None
