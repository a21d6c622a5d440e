"""open orders index: a small partial covering index for the aging report

Only orders with a balance due are in it (a few thousand of two million in the
benchmark data set), with every column the aging report reads, so the report is
an index-only scan instead of a walk over the orders table. Both databases use a
partial index only when the query repeats its condition: resolvers.reports.OPEN
writes `balance_due_cents > 0` with a literal 0, not a bound parameter.

Also in db.models (Order.__table_args__), so the models check sees it. IF NOT
EXISTS: a regenerated 0001 would create it already.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UP = """CREATE INDEX IF NOT EXISTS ix_orders_open
    ON orders (company_id, customer_id, due_date, balance_due_cents, status)
    WHERE balance_due_cents > 0"""
DOWN = "DROP INDEX IF EXISTS ix_orders_open"


def upgrade() -> None:
    op.execute(UP)


def downgrade() -> None:
    op.execute(DOWN)
