"""Load-or-404 for the supplier's own records on its pages: another supplier's batch is "not found"."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from suppliers import service
from suppliers.models import Batch
from trace.deps import ActorDep, SessionDep
from trace.errors import NotFound
from trace.fields import PathId
from trace.policy import sees_party


def batch_of_supplier(batch_id: PathId, session: SessionDep, actor: ActorDep) -> Batch:
    """A batch its own supplier reads (supervision reads every one)."""
    batch = service.batch_get(session, batch_id)
    if not sees_party(actor, supplier_id=batch.supplier_id):
        raise NotFound("batch_not_found", f"批次 {batch_id} 不存在", f"Batch {batch_id} not found", batch_id=batch_id)
    return batch


BatchOfSupplier = Annotated[Batch, Depends(batch_of_supplier)]
