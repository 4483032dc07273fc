"""meals, their menu and 陪餐, and retained samples (留样)

- school_meal: one school's breakfast, lunch or dinner of a day (unique), served once (the
  transformation event's id). Not named "meal": on PostgreSQL that is already the type of
  the meal enum, which the column reuses rather than creating it again.
- meal_dish, meal_companion: its menu and 陪餐, added row by row.
- retained_sample: 留样 per dish, with its weight, fridge and place, and the time before which
  it may not be discarded; retained_sample_discard: its discarding, at most once.

The kitchen use (出库) is not changed: a use joins its meal by school, day and meal.

Revision ID: 6d1f3a8b2c94
Revises: 4b7e2d9c1a63
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# The kitchen_use.meal enum's type, made by the first migration.
MEAL = postgresql.ENUM('breakfast', 'lunch', 'dinner', name='meal', create_type=False)

revision: str = "6d1f3a8b2c94"
down_revision: str | None = "4b7e2d9c1a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('school_meal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('meal_date', sa.Date(), nullable=False),
    sa.Column('meal', MEAL, nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('served_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('served_by', sa.Integer(), nullable=True),
    sa.Column('served_event_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], name=op.f('fk_school_meal_opened_by_app_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_meal_school_id_school')),
    sa.ForeignKeyConstraint(['served_by'], ['app_user.id'], name=op.f('fk_school_meal_served_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_meal')),
    sa.UniqueConstraint('school_id', 'meal_date', 'meal', name='uq_school_meal_school_day_meal')
    )
    op.create_table('meal_companion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=50), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['meal_id'], ['school_meal.id'], name=op.f('fk_meal_companion_meal_id_school_meal')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_meal_companion_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_companion'))
    )
    with op.batch_alter_table('meal_companion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meal_companion_meal_id'), ['meal_id'], unique=False)

    op.create_table('meal_dish',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['app_user.id'], name=op.f('fk_meal_dish_added_by_app_user')),
    sa.ForeignKeyConstraint(['meal_id'], ['school_meal.id'], name=op.f('fk_meal_dish_meal_id_school_meal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_dish')),
    sa.UniqueConstraint('meal_id', 'name', name='uq_meal_dish_meal_name')
    )
    op.create_table('retained_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('dish', sa.String(length=100), nullable=False),
    sa.Column('weight_grams', sa.BigInteger(), nullable=False),
    sa.Column('fridge', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=40), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sa.Integer(), nullable=True),
    sa.Column('discard_not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['meal_id'], ['school_meal.id'], name=op.f('fk_retained_sample_meal_id_school_meal')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_retained_sample_school_id_school')),
    sa.ForeignKeyConstraint(['taken_by'], ['app_user.id'], name=op.f('fk_retained_sample_taken_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retained_sample'))
    )
    with op.batch_alter_table('retained_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retained_sample_meal_id'), ['meal_id'], unique=False)
        batch_op.create_index('ix_retained_sample_school_due', ['school_id', 'discard_not_before'], unique=False)

    op.create_table('retained_sample_discard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('discarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('discarded_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['discarded_by'], ['app_user.id'], name=op.f('fk_retained_sample_discard_discarded_by_app_user')),
    sa.ForeignKeyConstraint(['sample_id'], ['retained_sample.id'], name=op.f('fk_retained_sample_discard_sample_id_retained_sample')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retained_sample_discard')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_retained_sample_discard_sample_id'))
    )


def downgrade() -> None:
    op.drop_table('retained_sample_discard')
    with op.batch_alter_table('retained_sample', schema=None) as batch_op:
        batch_op.drop_index('ix_retained_sample_school_due')
        batch_op.drop_index(batch_op.f('ix_retained_sample_meal_id'))

    op.drop_table('retained_sample')
    op.drop_table('meal_dish')
    with op.batch_alter_table('meal_companion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meal_companion_meal_id'))

    op.drop_table('meal_companion')
    op.drop_table('school_meal')
