"""mock-recall drills (模拟召回演练, issue 13 item 3)

- mock_recall_drill: who ran a drill on which batch, when, how long the forward-trace list
  took to compute (ms), and the list itself as JSON text. A drill changes nothing in custody.

Revision ID: d8f3b6a1c257
Revises: a7c4e1f9d2b8
Create Date: 2026-11-30 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd8f3b6a1c257'
down_revision: str | None = 'a7c4e1f9d2b8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mock_recall_drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('run_by', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('school_count', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('destinations', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_mock_recall_drill_batch_id_batch')),
    sa.ForeignKeyConstraint(['run_by'], ['app_user.id'], name=op.f('fk_mock_recall_drill_run_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mock_recall_drill'))
    )
    with op.batch_alter_table('mock_recall_drill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mock_recall_drill_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mock_recall_drill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mock_recall_drill_batch_id'))

    op.drop_table('mock_recall_drill')
