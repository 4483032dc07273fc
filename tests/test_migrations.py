"""Alembic migrations build exactly the schema the models describe, on either database."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session

from trace import migrate, models, registry
from trace.accounts import system_actor
from trace.custody import record_event
from trace.db import make_engine
from trace.models import ChainHead


def test_migrations_create_the_schema_the_models_describe(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, registry.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_install_the_trigger_that_moves_chain_heads(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        recorded = record_event(session, stream="test:migrated", biz_step="inspecting", action="OBSERVE",
                                actor=system_actor(), subject_type="test", subject_id=1, payload={})
        session.commit()
        head = session.get(ChainHead, "test:migrated")
        assert (head.seq, head.hash) == (1, recorded.hash)
    engine.dispose()


def test_the_migrated_trigger_is_the_one_the_models_install():
    # Schema comparison ignores triggers; the migration's frozen copy must not drift.
    path = next(Path("migrations/versions").glob("*_7c2d4e9a1b30_*.py"))
    spec = importlib.util.spec_from_file_location("chain_head_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SQLITE_TRIGGER == models.CHAIN_HEAD_TRIGGER_SQLITE
    assert migration.POSTGRESQL_FUNCTION == models.CHAIN_HEAD_FUNCTION_POSTGRESQL
    assert migration.POSTGRESQL_TRIGGER == models.CHAIN_HEAD_TRIGGER_POSTGRESQL


def test_migrating_twice_is_harmless(empty_database_url):
    migrate.upgrade(empty_database_url)
    migrate.upgrade(empty_database_url)
