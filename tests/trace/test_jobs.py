"""The checkpoint job signs the chain heads, and a second worker doing the same is harmless."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import make_world
from trace.jobs import checkpoint_job, start_scheduler
from trace.models import Checkpoint


def test_the_checkpoint_job_signs_a_checkpoint(session, engine):
    make_world(session)
    checkpoint_job(engine)
    checkpoint_job(engine)
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Checkpoint)).scalar_one() == 2


def test_the_scheduler_registers_the_checkpoint_job_once(engine):
    scheduler = start_scheduler(engine)
    try:
        assert [job.id for job in scheduler.get_jobs()] == ["custody-checkpoint"]
    finally:
        scheduler.shutdown(wait=False)
