"""laboratory results carry their limit; test-result corrections say why

- test_result.limit_value, test_result.limit_kind: the limit a laboratory value is judged
  against ("max": the value may not exceed it; "min": it must reach it). The outcome is computed
  from them (inspections.service), never typed.
- test_result.correction_reason: why a correction (a new result naming the one it corrects
  through corrects_id) was made.
- test_result.report_media_type, test_result.report_sha256: the attached report file (PDF, JPEG
  or PNG, kept under data_dir/test-reports) and its digest.

Revision ID: e5b1d7a3c9f4
Revises: d8f3b6a1c257
Create Date: 2026-11-30 10:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b1d7a3c9f4"
down_revision: str | None = "d8f3b6a1c257"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("limit_value", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("limit_kind", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("report_media_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("report_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.drop_column("report_sha256")
        batch_op.drop_column("report_media_type")
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("limit_kind")
        batch_op.drop_column("limit_value")
