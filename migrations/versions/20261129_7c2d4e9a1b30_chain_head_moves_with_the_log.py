"""chain_head: the database moves a chain's head whenever an event is inserted

Until now each event cost two statements (the event, then its head). A trigger on
custody_event upserts the head in the same statement, forward only. Writers still lock
the head row first to learn the previous hash.

Revision ID: 7c2d4e9a1b30
Revises: 5b3f0e2a9c41
Create Date: 2026-11-29 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c2d4e9a1b30"
down_revision: str | None = "5b3f0e2a9c41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the statements in trace.models (a migration never imports the app).
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS custody_event_moves_head AFTER INSERT ON custody_event
BEGIN
    INSERT INTO chain_head (stream, seq, hash, updated_at) VALUES (NEW.stream, NEW.seq, NEW.hash, NEW.recorded_at)
    ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, updated_at = excluded.updated_at
    WHERE excluded.seq > chain_head.seq;
END
"""
POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION custody_event_moves_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chain_head (stream, seq, hash, updated_at) VALUES (NEW.stream, NEW.seq, NEW.hash, NEW.recorded_at)
    ON CONFLICT (stream) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at
    WHERE EXCLUDED.seq > chain_head.seq;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = """
CREATE OR REPLACE TRIGGER custody_event_moves_head AFTER INSERT ON custody_event
FOR EACH ROW EXECUTE FUNCTION custody_event_moves_head()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS custody_event_moves_head" + (
        " ON custody_event" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS custody_event_moves_head()")
