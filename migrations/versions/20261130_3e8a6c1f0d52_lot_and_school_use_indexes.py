"""indexes for the inspector's reads: batches by lot code, a school's kitchen use by date

An inspector finds a batch by the lot code printed on a sack, without its GTIN; the
(gtin, lot_code) constraint cannot serve that. A school's kitchen use (several rows a
day) is listed by date: (school_id, use_date) replaces the index on school_id alone,
whose lookups it serves as well. Receipts keep their school index: SQLite would pick a
(school_id, receipt_date) one for a use's first-receipt lookup over the (batch, school) pair.

Revision ID: 3e8a6c1f0d52
Revises: 7c2d4e9a1b30
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3e8a6c1f0d52"
down_revision: str | None = "7c2d4e9a1b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.create_index("ix_batch_lot_code", ["lot_code"], unique=False)
    with op.batch_alter_table("kitchen_use", schema=None) as batch_op:
        batch_op.create_index("ix_kitchen_use_school_date", ["school_id", "use_date"], unique=False)
        batch_op.drop_index(batch_op.f("ix_kitchen_use_school_id"))


def downgrade() -> None:
    with op.batch_alter_table("kitchen_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kitchen_use_school_id"), ["school_id"], unique=False)
        batch_op.drop_index("ix_kitchen_use_school_date")
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.drop_index("ix_batch_lot_code")
