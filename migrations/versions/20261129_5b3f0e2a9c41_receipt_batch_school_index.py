"""receipt: one (batch_id, school_id) index instead of batch_id alone

Every kitchen use looks up the canteen's first receipt of the batch. Without the pair,
SQLite's planner chose the school index and scanned all of a school's receipts, which
grew over a school year.

Revision ID: 5b3f0e2a9c41
Revises: 1d57c1af2e99
Create Date: 2026-11-29 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b3f0e2a9c41"
down_revision: str | None = "1d57c1af2e99"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index("ix_receipt_batch_school", ["batch_id", "school_id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_receipt_batch_id"))


def downgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_batch_id"), ["batch_id"], unique=False)
        batch_op.drop_index("ix_receipt_batch_school")
