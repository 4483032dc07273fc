"""supplier kind, prepackaged-food filings without a term, kindergartens

- supplier.kind: a licensed producer or trader, or a seller of edible agricultural products
  only (食用农产品), whom the Food Safety Law does not require to hold a licence. Existing
  suppliers are licensed: each was registered with its licences.
- licence.kind gains prepackaged_filing (仅销售预包装食品备案, 2023 measures); a filing has no
  term, so licence.expires_on becomes nullable.
- school.kind gains kindergarten (中小学、幼儿园: the seed document covers both).

Revision ID: 9e4a6c1d2b57
Revises: 3e8a6c1f0d52
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9e4a6c1d2b57"
down_revision: str | None = "3e8a6c1f0d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUPPLIER_KIND = sa.Enum("licensed", "edible_agricultural", name="supplierkind")
LICENCE_KIND_OLD = sa.Enum("food_production", "food_business", name="licencekind")
LICENCE_KIND = sa.Enum("food_production", "food_business", "prepackaged_filing", name="licencekind")
SCHOOL_KIND_OLD = sa.Enum("primary", "junior", "senior", "nine_year", "vocational", name="schoolkind")
SCHOOL_KIND = sa.Enum("primary", "junior", "senior", "nine_year", "vocational", "kindergarten", name="schoolkind")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    SUPPLIER_KIND.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", SUPPLIER_KIND, nullable=False, server_default="licensed"))
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)

    if postgresql:
        # New enum labels are not usable in the same transaction; nothing here uses them.
        op.execute("ALTER TYPE licencekind ADD VALUE IF NOT EXISTS 'prepackaged_filing'")
        op.execute("ALTER TYPE schoolkind ADD VALUE IF NOT EXISTS 'kindergarten'")
        op.alter_column("licence", "expires_on", existing_type=sa.Date(), nullable=True)
        return
    # SQLite keeps an enum as VARCHAR sized to its longest name: widen it with the new names.
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=LICENCE_KIND_OLD, type_=LICENCE_KIND, existing_nullable=False)
        batch_op.alter_column("expires_on", existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=SCHOOL_KIND_OLD, type_=SCHOOL_KIND, existing_nullable=False)


def downgrade() -> None:
    # Refuses (NOT NULL) if a filing without a term exists: drop those first, deliberately.
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.alter_column("expires_on", existing_type=sa.Date(), nullable=False)
        if not postgresql:
            batch_op.alter_column("kind", existing_type=LICENCE_KIND, type_=LICENCE_KIND_OLD, existing_nullable=False)
    if not postgresql:
        with op.batch_alter_table("school", schema=None) as batch_op:
            batch_op.alter_column("kind", existing_type=SCHOOL_KIND, type_=SCHOOL_KIND_OLD, existing_nullable=False)
    # PostgreSQL cannot drop an enum label; the extra labels stay unused.
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.drop_column("kind")
    SUPPLIER_KIND.drop(op.get_bind(), checkfirst=True)
