"""product: paper set, storage range, cold-chain flag; test_result: rapid-test verdict and re-test link

Issue 9, items 3–5 (domain.md §4, §5, §6). Existing rows are filled in as the new rules
would have declared them: the paper set from the category (pork by its name), the
storage range and cold-chain flag from the storage condition (vegetables and fruit are
not cold-chain food), and rapid-test verdicts from the old outcomes.

Revision ID: 3e8a6c1f5d72
Revises: 9e4a6c1d2b57
Create Date: 2026-11-30 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8a6c1f5d72"
down_revision: str | None = "9e4a6c1d2b57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("papers", sa.String(length=20), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("storage_min_celsius", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("storage_max_celsius", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("cold_chain", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Enum columns hold member names (vegetable, chilled…), as SQLAlchemy writes them.
    op.execute("UPDATE product SET papers = CASE"
               " WHEN category IN ('vegetable', 'fruit', 'poultry_egg', 'aquatic') THEN 'edible_agricultural'"
               " WHEN category = 'meat' AND name LIKE '%猪%' THEN 'pork'"
               " WHEN category = 'meat' THEN 'meat' ELSE 'processed' END")
    op.execute("UPDATE product SET storage_min_celsius = 0, storage_max_celsius = 8 WHERE storage = 'chilled'")
    op.execute("UPDATE product SET storage_max_celsius = -18 WHERE storage = 'frozen'")
    op.execute("UPDATE product SET cold_chain = (storage IN ('chilled', 'frozen')"
               " AND category NOT IN ('vegetable', 'fruit'))")

    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("warning", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("false_positive_prone", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("retest_of_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_test_result_retest_of_id"), ["retest_of_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_test_result_retest_of_id_test_result"), "test_result",
                                    ["retest_of_id"], ["id"])
    rapid = "kind IN ('pesticide_enzyme_inhibition', 'clenbuterol')"
    op.execute(f"UPDATE test_result SET verdict = 'negative' WHERE {rapid} AND outcome IN ('passed', 'warning')")
    op.execute(f"UPDATE test_result SET warning = (outcome = 'warning') WHERE {rapid}")
    op.execute(f"UPDATE test_result SET verdict = 'positive' WHERE {rapid} AND outcome = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_test_result_retest_of_id_test_result"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_test_result_retest_of_id"))
        batch_op.drop_column("retest_of_id")
        batch_op.drop_column("false_positive_prone")
        batch_op.drop_column("warning")
        batch_op.drop_column("verdict")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("cold_chain")
        batch_op.drop_column("storage_max_celsius")
        batch_op.drop_column("storage_min_celsius")
        batch_op.drop_column("papers")
