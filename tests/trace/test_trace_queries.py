"""Trace queries walk indexes from one batch: their cost follows the answer, not the database."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from tests.factories import make_batch, make_order_line, make_school, make_world
from trace.custody import Actor
from trace.db import is_sqlite
from trace.queries import trace_backward, trace_forward

INSPECTOR = Actor(user_id=None, role="inspector")


@contextmanager
def recorded_statements(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _busy_district(session, world, schools: int):
    """Other batches and schools that a query about world.batch must not touch."""
    for _ in range(schools):
        school = make_school(session)
        line = make_order_line(session, school, world.supplier, world.product)
        other = make_batch(session, world.supplier, world.product, world.actor(world.supplier_user))
        from canteens import service
        from canteens.schemas import ShipmentCreate
        from tests.factories import today

        service.shipment_create(session, actor=world.actor(world.supplier_user), data=ShipmentCreate(
            batch_id=other.id, order_line_id=line.id, quantity="10", unit="kg", ship_date=today()))
    session.commit()


def test_forward_trace_lists_each_receiving_canteen_with_used_and_on_hand(session):
    world = make_world(session)
    shipment = world.ship(session, "300")
    world.receive(session, shipment, "300")
    session.commit()
    destinations = trace_forward(session, INSPECTOR, world.batch.id)["destinations"]
    assert [(d["school_id"], str(d["received_quantity"]), str(d["on_hand_quantity"])) for d in destinations] == [
        (world.school.id, "300.000", "300.000")]


def test_forward_trace_issues_the_same_statements_however_big_the_district(session, engine):
    world = make_world(session)
    world.receive(session, world.ship(session, "100"), "100")
    session.commit()
    session.expire_all()
    with recorded_statements(engine) as small:
        trace_forward(session, INSPECTOR, world.batch.id)
    _busy_district(session, world, schools=6)
    session.expire_all()
    with recorded_statements(engine) as big:
        trace_forward(session, INSPECTOR, world.batch.id)
    assert len(big) == len(small)


def test_backward_trace_statements_grow_with_shipments_of_the_batch_only(session, engine):
    world = make_world(session)
    world.ship(session, "100")
    session.commit()
    session.expire_all()
    with recorded_statements(engine) as before:
        trace_backward(session, INSPECTOR, world.batch.id)
    _busy_district(session, world, schools=5)
    session.expire_all()
    with recorded_statements(engine) as after:
        trace_backward(session, INSPECTOR, world.batch.id)
    assert len(after) == len(before)


def query_plan(session, query: str) -> str:
    """How the database would run ``query``; PostgreSQL is told to avoid sequential scans,
    which it prefers on tables as small as a test's."""
    if is_sqlite(session):
        return " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    return " ".join(row[0] for row in session.execute(text(f"EXPLAIN {query}")))


@pytest.mark.parametrize("table,column", [
    ("shipment", "batch_id"), ("stock", "batch_id"), ("kitchen_use", "batch_id"), ("custody_event", "batch_id"),
    ("receipt", "shipment_id"), ("test_result", "batch_id"), ("batch_certificate", "batch_id"),
    ("kitchen_use", "school_id"),
])
def test_trace_lookups_use_an_index(session, table, column):
    plan = query_plan(session, f"SELECT * FROM {table} WHERE {column} = 1")
    if is_sqlite(session):
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    else:
        assert "Index" in plan, plan


def test_a_lot_search_uses_an_index_without_the_gtin(session):
    plan = query_plan(session, "SELECT * FROM batch WHERE lot_code = 'MS251101A'")
    if is_sqlite(session):
        assert "ix_batch_lot_code" in plan, plan
    else:
        assert "Index" in plan, plan


def test_a_schools_use_by_date_is_read_through_the_school_date_index(session):
    plan = query_plan(session, "SELECT * FROM kitchen_use WHERE school_id = 1 AND use_date >= '2025-09-01' "
                               "AND use_date <= '2025-09-30' ORDER BY use_date, id")
    if is_sqlite(session):
        assert "ix_kitchen_use_school_date" in plan, plan
    else:
        assert "Index" in plan, plan


def test_a_use_finds_the_canteens_first_receipt_of_the_batch_by_the_pair_index(session):
    """Every kitchen use asks when this canteen first received this batch; scanning the
    school's receipts instead grew slower all school year."""
    plan = query_plan(session, "SELECT min(receipt_date) FROM receipt WHERE school_id = 1 AND batch_id = 1 "
                               "AND accepted_quantity > 0")
    if is_sqlite(session):
        assert "ix_receipt_batch_school" in plan, plan
    else:
        assert "Index" in plan, plan
