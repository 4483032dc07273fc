"""Registering a lot: when it was registered is when the supplier (or an import) says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from suppliers import service as supplier_service
from suppliers.schemas import BatchCreate
from tests.factories import days_ago, make_product, make_supplier, make_user, papers_for
from trace.custody import Actor, events_for_batch
from trace.models import Role


def test_an_imported_lot_keeps_the_time_it_was_registered(session):
    supplier, product = make_supplier(session), make_product(session)
    actor = Actor.of(make_user(session, Role.supplier, supplier_id=supplier.id))
    registered = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)

    batch = supplier_service.batch_register(session, actor=actor, occurred_at=registered, data=BatchCreate(
        product_id=product.id, lot_code="IMP001", production_date=days_ago(5), quantity=100, unit="kg",
        origin="黑龙江省五常市", certificates=papers_for(product)))
    session.commit()
    session.expire_all()

    assert session.get(type(batch), batch.id).registered_at == registered
    [event] = events_for_batch(session, batch.id)
    assert event.occurred_at == registered
    assert event.recorded_at > registered  # the log still says when it was written
