"""Scheduled jobs of the custody core: open a session, call a service, nothing else.

APScheduler 3.x with explicit ids and ``replace_existing``. Several workers may each
run the scheduler: a checkpoint minted twice at once loses on the unique number and
is simply skipped.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from trace.checkpoints import checkpoint_create
from trace.db import unit_of_work
from trace.settings import get_settings

log = logging.getLogger("trace.jobs")


def checkpoint_job(engine: Engine) -> None:
    try:
        with unit_of_work(engine) as session:
            checkpoint = checkpoint_create(session)
        log.info("checkpoint %s signed", checkpoint.number)
    except IntegrityError:
        log.info("another worker signed this checkpoint")


def start_scheduler(engine: Engine) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=get_settings().timezone)
    scheduler.add_job(checkpoint_job, "interval", args=[engine], id="custody-checkpoint", replace_existing=True,
                      minutes=get_settings().checkpoint_interval_minutes, coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler
