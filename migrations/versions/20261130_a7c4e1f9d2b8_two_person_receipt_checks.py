"""two-person receipt checks (双人或多人联检, issue 12)

- receipt_check: the first checker's 验收单, open until a second canteen staff member of the
  same school confirms it (a receipt is written) or it is withdrawn. open_shipment_id holds
  the shipment's id while the check is open and NULL after: its unique constraint keeps one
  open check per shipment, on SQLite and PostgreSQL alike.
- receipt: confirmed_by (the second checker), check_id, rejected_disposal (returned or
  destroyed on the spot) and certificates_checked (a JSON list of paper names). Nullable:
  receipts written before this revision have none.

Revision ID: a7c4e1f9d2b8
Revises: c0e7a4b19d62
Create Date: 2026-11-30 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c4e1f9d2b8'
down_revision: str | None = 'c0e7a4b19d62'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('receipt_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'confirmed', 'withdrawn', name='checkstatus'), nullable=False),
    sa.Column('open_shipment_id', sa.Integer(), nullable=True),
    sa.Column('accepted_quantity', sa.BigInteger(), nullable=False),
    sa.Column('rejected_quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=False),
    sa.Column('rejected_disposal', sa.String(length=10), nullable=True),
    sa.Column('arrival_temperature_celsius', sa.Float(), nullable=True),
    sa.Column('temperature_out_of_range', sa.Boolean(), nullable=False),
    sa.Column('certificates_checked', sa.Text(), nullable=False),
    sa.Column('rapid_test_id', sa.Integer(), nullable=True),
    sa.Column('receipt_date', sa.Date(), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_receipt_check_batch_id_batch')),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_receipt_check_closed_by_app_user')),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], name=op.f('fk_receipt_check_opened_by_app_user')),
    sa.ForeignKeyConstraint(['rapid_test_id'], ['test_result.id'], name=op.f('fk_receipt_check_rapid_test_id_test_result')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_receipt_check_school_id_school')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_receipt_check_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_check')),
    sa.UniqueConstraint('open_shipment_id', name=op.f('uq_receipt_check_open_shipment_id'))
    )
    with op.batch_alter_table('receipt_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_check_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_check_shipment_id'), ['shipment_id'], unique=False)

    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('check_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rejected_disposal', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('certificates_checked', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_receipt_check_id'), ['check_id'])
        batch_op.create_foreign_key(batch_op.f('fk_receipt_check_id_receipt_check'), 'receipt_check', ['check_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_receipt_confirmed_by_app_user'), 'app_user', ['confirmed_by'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_receipt_confirmed_by_app_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_receipt_check_id_receipt_check'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_receipt_check_id'), type_='unique')
        batch_op.drop_column('certificates_checked')
        batch_op.drop_column('rejected_disposal')
        batch_op.drop_column('check_id')
        batch_op.drop_column('confirmed_by')

    with op.batch_alter_table('receipt_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_check_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_check_school_id'))

    op.drop_table('receipt_check')
    sa.Enum(name='checkstatus').drop(op.get_bind(), checkfirst=True)
