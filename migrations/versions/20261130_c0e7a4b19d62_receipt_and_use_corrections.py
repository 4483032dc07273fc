"""corrections of receipts and kitchen uses: a new record naming the one it corrects

- receipt.corrects_receipt_id, kitchen_use.corrects_use_id: the record a correction replaces
  (canteens.corrections). Unique: a record is corrected at most once, so two people correcting
  it at once cannot both win; correcting again means correcting the correction.
- receipt.correction_reason, kitchen_use.correction_reason: why (only on corrections).

Revision ID: c0e7a4b19d62
Revises: a4d9c2e7f1b8
Create Date: 2026-11-30 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0e7a4b19d62"
down_revision: str | None = "a4d9c2e7f1b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_receipt_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_receipt_corrects_receipt_id"), ["corrects_receipt_id"], unique=True)
        batch_op.create_foreign_key(batch_op.f("fk_receipt_corrects_receipt_id_receipt"), "receipt",
                                    ["corrects_receipt_id"], ["id"])
    with op.batch_alter_table("kitchen_use", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_use_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_kitchen_use_corrects_use_id"), ["corrects_use_id"], unique=True)
        batch_op.create_foreign_key(batch_op.f("fk_kitchen_use_corrects_use_id_kitchen_use"), "kitchen_use",
                                    ["corrects_use_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("kitchen_use", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_kitchen_use_corrects_use_id_kitchen_use"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_kitchen_use_corrects_use_id"))
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrects_use_id")
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_receipt_corrects_receipt_id_receipt"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_receipt_corrects_receipt_id"))
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrects_receipt_id")
