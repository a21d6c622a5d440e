"""customer names in code-point order (PostgreSQL): the index search walks for prefixes

resolvers.search finds exact and prefix matches of a customer name first, by a range
over `name_key COLLATE "C"` in that order, and stops after `first` rows. SQLite's
ix_customers_company_name is already in code-point (BINARY) order; PostgreSQL's
follows the database collation, so it gets this one. Not in db.models (a column
collation of one dialect): the `_expr` suffix keeps it out of the models check.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_customers_company_name_c_expr "
            'ON customers (company_id, name_key COLLATE "C", id)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customers_company_name_c_expr")
