"""chain of custody core: suppliers, catalogue, schools, orders, batches,
shipments, receipts, stock, use, tests, accounts, and the hash-chained event log

Revision ID: 1d57c1af2e99
Revises: 
Create Date: 2026-11-28 15:36:05.621165
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '1d57c1af2e99'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chain_head',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_chain_head'))
    )
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint')),
    sa.UniqueConstraint('number', name=op.f('uq_checkpoint_number'))
    )
    op.create_table('checkpointed_head',
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('checkpoint_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_checkpointed_head'))
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.Enum('grain', 'oil', 'meat', 'poultry_egg', 'aquatic', 'vegetable', 'fruit', 'dairy', 'soy', 'seasoning', name='productcategory'), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('shelf_life_days', sa.Integer(), nullable=False),
    sa.Column('storage', sa.Enum('ambient', 'chilled', 'frozen', name='storagecondition'), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('gtin_assigned', sa.Boolean(), nullable=False),
    sa.Column('required_certificate', sa.String(length=40), nullable=True),
    sa.Column('rapid_test', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('code', name=op.f('uq_product_code')),
    sa.UniqueConstraint('gtin', name=op.f('uq_product_gtin'))
    )
    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('town', sa.String(length=40), nullable=False),
    sa.Column('town_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.Enum('primary', 'junior', 'senior', 'nine_year', 'vocational', name='schoolkind'), nullable=False),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('staff', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school')),
    sa.UniqueConstraint('code', name=op.f('uq_school_code'))
    )
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('contact', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('active', 'suspended', name='supplierstatus'), nullable=False),
    sa.Column('dishonest', sa.Boolean(), nullable=False),
    sa.Column('status_note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_supplier_credit_code'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.Enum('admin', 'supplier', 'canteen_staff', 'inspector', name='role'), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_app_user_school_id_school')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_app_user_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('canteen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('licence_number', sa.String(length=20), nullable=False),
    sa.Column('licence_issued_on', sa.Date(), nullable=False),
    sa.Column('licence_expires_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_canteen_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canteen')),
    sa.UniqueConstraint('licence_number', name=op.f('uq_canteen_licence_number')),
    sa.UniqueConstraint('school_id', name=op.f('uq_canteen_school_id'))
    )
    op.create_table('licence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('food_production', 'food_business', name='licencekind'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_licence_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence')),
    sa.UniqueConstraint('kind', 'number', name='uq_licence_kind_number')
    )
    with op.batch_alter_table('licence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('product_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('factor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_unit_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_unit')),
    sa.UniqueConstraint('product_id', 'unit', name='uq_product_unit')
    )
    with op.batch_alter_table('product_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_unit_product_id'), ['product_id'], unique=False)

    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('current_revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_purchase_order_school_id_school')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_purchase_order_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order')),
    sa.UniqueConstraint('order_number', name=op.f('uq_purchase_order_order_number'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.Column('lot_code', sa.String(length=20), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('shipped_quantity', sa.BigInteger(), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('active', 'on_hold', 'recalled', name='batchstatus'), nullable=False),
    sa.Column('registered_by', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_batch_product_id_product')),
    sa.ForeignKeyConstraint(['registered_by'], ['app_user.id'], name=op.f('fk_batch_registered_by_app_user')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_batch_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch')),
    sa.UniqueConstraint('gtin', 'lot_code', name='uq_batch_gtin_lot')
    )
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_idempotency_record_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_user_key')
    )
    op.create_table('order_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_order_revision_order_id_purchase_order')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_order_revision_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_revision')),
    sa.UniqueConstraint('order_id', 'revision', name='uq_order_revision')
    )
    with op.batch_alter_table('order_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_revision_order_id'), ['order_id'], unique=False)

    op.create_table('batch_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_batch_certificate_batch_id_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_certificate'))
    )
    with op.batch_alter_table('batch_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_certificate_batch_id'), ['batch_id'], unique=False)

    op.create_table('custody_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('biz_step', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('disposition', sa.String(length=40), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tz_offset', sa.String(length=6), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('corrects_event_id', sa.String(length=36), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_custody_event_actor_user_id_app_user')),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_custody_event_batch_id_batch')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_custody_event_school_id_school')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_custody_event_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_custody_event_event_id')),
    sa.UniqueConstraint('stream', 'seq', name='uq_custody_event_stream_seq')
    )
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.create_index('ix_custody_event_batch', ['batch_id', 'id'], unique=False)
        batch_op.create_index('ix_custody_event_school', ['school_id', 'id'], unique=False)
        batch_op.create_index('ix_custody_event_supplier', ['supplier_id', 'id'], unique=False)

    op.create_table('kitchen_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('use_date', sa.Date(), nullable=False),
    sa.Column('meal', sa.Enum('breakfast', 'lunch', 'dinner', name='meal'), nullable=False),
    sa.Column('dish', sa.String(length=100), nullable=False),
    sa.Column('used_by', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_kitchen_use_batch_id_batch')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_kitchen_use_school_id_school')),
    sa.ForeignKeyConstraint(['used_by'], ['app_user.id'], name=op.f('fk_kitchen_use_used_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kitchen_use'))
    )
    with op.batch_alter_table('kitchen_use', schema=None) as batch_op:
        batch_op.create_index('ix_kitchen_use_batch', ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kitchen_use_school_id'), ['school_id'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('line_number', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('ordered_quantity', sa.BigInteger(), nullable=False),
    sa.Column('ordered_unit', sa.String(length=10), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_order_line_product_id_product')),
    sa.ForeignKeyConstraint(['revision_id'], ['order_revision.id'], name=op.f('fk_order_line_revision_id_order_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line')),
    sa.UniqueConstraint('revision_id', 'line_number', name='uq_order_line')
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_revision_id'), ['revision_id'], unique=False)

    op.create_table('stock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('received_quantity', sa.BigInteger(), nullable=False),
    sa.Column('used_quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_stock_batch_id_batch')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_stock_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock')),
    sa.UniqueConstraint('school_id', 'batch_id', name='uq_stock_school_batch')
    )
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.create_index('ix_stock_batch', ['batch_id'], unique=False)

    op.create_table('test_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('value_unit', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.Enum('passed', 'warning', 'failed', name='testoutcome'), nullable=False),
    sa.Column('laboratory', sa.String(length=200), nullable=False),
    sa.Column('report_number', sa.String(length=64), nullable=False),
    sa.Column('tested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tested_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_test_result_batch_id_batch')),
    sa.ForeignKeyConstraint(['corrects_id'], ['test_result.id'], name=op.f('fk_test_result_corrects_id_test_result')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_test_result_school_id_school')),
    sa.ForeignKeyConstraint(['tested_by'], ['app_user.id'], name=op.f('fk_test_result_tested_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_result'))
    )
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_result_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_test_result_school_id'), ['school_id'], unique=False)

    op.create_table('shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('ship_date', sa.Date(), nullable=False),
    sa.Column('accounted_quantity', sa.BigInteger(), nullable=False),
    sa.Column('shipped_by', sa.Integer(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_shipment_batch_id_batch')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], name=op.f('fk_shipment_order_line_id_order_line')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_shipment_school_id_school')),
    sa.ForeignKeyConstraint(['shipped_by'], ['app_user.id'], name=op.f('fk_shipment_shipped_by_app_user')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_shipment_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment'))
    )
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('accepted_quantity', sa.BigInteger(), nullable=False),
    sa.Column('rejected_quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=False),
    sa.Column('arrival_temperature_celsius', sa.Float(), nullable=True),
    sa.Column('receipt_date', sa.Date(), nullable=False),
    sa.Column('received_by', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_receipt_batch_id_batch')),
    sa.ForeignKeyConstraint(['received_by'], ['app_user.id'], name=op.f('fk_receipt_received_by_app_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_receipt_school_id_school')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], name=op.f('fk_receipt_shipment_id_shipment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_shipment_id'), ['shipment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_school_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_batch_id'))

    op.drop_table('receipt')
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_school_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_batch_id'))

    op.drop_table('shipment')
    with op.batch_alter_table('test_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_result_school_id'))
        batch_op.drop_index(batch_op.f('ix_test_result_batch_id'))

    op.drop_table('test_result')
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_batch')

    op.drop_table('stock')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_revision_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('kitchen_use', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kitchen_use_school_id'))
        batch_op.drop_index('ix_kitchen_use_batch')

    op.drop_table('kitchen_use')
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_event_supplier')
        batch_op.drop_index('ix_custody_event_school')
        batch_op.drop_index('ix_custody_event_batch')

    op.drop_table('custody_event')
    with op.batch_alter_table('batch_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_certificate_batch_id'))

    op.drop_table('batch_certificate')
    with op.batch_alter_table('order_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_revision_order_id'))

    op.drop_table('order_revision')
    op.drop_table('idempotency_record')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_batch_product_id'))

    op.drop_table('batch')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_school_id'))

    op.drop_table('purchase_order')
    with op.batch_alter_table('product_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_unit_product_id'))

    op.drop_table('product_unit')
    with op.batch_alter_table('licence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_supplier_id'))

    op.drop_table('licence')
    op.drop_table('canteen')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_school_id'))

    op.drop_table('app_user')
    op.drop_table('supplier')
    op.drop_table('school')
    op.drop_table('product')
    op.drop_table('checkpointed_head')
    op.drop_table('checkpoint')
    op.drop_table('chain_head')
