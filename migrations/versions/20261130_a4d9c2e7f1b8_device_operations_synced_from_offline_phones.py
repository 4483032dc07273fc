"""device operations synced from offline phones

- device_operation: one action a canteen's phone queued while offline (issue 12 §6), as the
  server received it: the client operation id (unique: applied once), who, which school, the
  kind and body as sent, when it happened on the device (UTC, with the device's UTC offset)
  beside when it arrived, and its outcome — the record it wrote, or the refusal kept until a
  staff member resolves it with a note.

Revision ID: a4d9c2e7f1b8
Revises: 6d1f3a8b2c94
Create Date: 2026-11-30 09:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a4d9c2e7f1b8'
down_revision: str | None = '6d1f3a8b2c94'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('device_operation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_operation_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=True),
    sa.Column('device_occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device_utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('refusal_code', sa.String(length=60), nullable=True),
    sa.Column('refusal_zh', sa.String(length=500), nullable=True),
    sa.Column('refusal_en', sa.String(length=500), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['resolved_by'], ['app_user.id'], name=op.f('fk_device_operation_resolved_by_app_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_device_operation_school_id_school')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_device_operation_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_operation')),
    sa.UniqueConstraint('client_operation_id', name=op.f('uq_device_operation_client_operation_id'))
    )
    with op.batch_alter_table('device_operation', schema=None) as batch_op:
        batch_op.create_index('ix_device_operation_school_status', ['school_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_operation_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('device_operation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_operation_user_id'))
        batch_op.drop_index('ix_device_operation_school_status')

    op.drop_table('device_operation')
