"""sales rollup: invoiced orders per company, local day and effective sales rep

Creates `daily_sales` (db.models.DailySales) and fills it from the orders already
there with one INSERT ... SELECT ... GROUP BY: the same figures as
resolvers.sales_rollup.rebuild_sales_rollup gives for each company (a test checks
that). Local days: PostgreSQL converts with the company's time zone; SQLite uses
the text's date part for UTC companies and, for the others, a Python function
registered on the migration's connection for this statement only (one call per
order: a one-off cost; the app computes local days in SQL).

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INVOICED = "('SUBMITTED', 'CONFIRMED', 'SHIPPED', 'DELIVERED')"

LOCAL_DAY = {
    "postgresql": "(o.placed_at AT TIME ZONE co.timezone)::date",
    "sqlite": (
        "CASE WHEN co.timezone = 'UTC' THEN substr(o.placed_at, 1, 10) "
        "ELSE rolodex_0004_local_date(o.placed_at, co.timezone) END"
    ),
}


def backfill_sql(dialect: str, company_id: int | None = None) -> str:
    """The INSERT ... SELECT filling daily_sales from orders (one company, or all)."""
    only = "" if company_id is None else f"AND o.company_id = {int(company_id)} "
    return (
        "INSERT INTO daily_sales (company_id, day, sales_rep_id, order_count, total_cents) "
        "SELECT company_id, day, sales_rep_id, count(*), sum(total_cents) FROM ("
        f"SELECT o.company_id AS company_id, {LOCAL_DAY[dialect]} AS day, "
        "coalesce(l.sales_rep_id, c.sales_rep_id, 0) AS sales_rep_id, "
        "o.total_cents AS total_cents "
        "FROM orders o JOIN companies co ON co.id = o.company_id "
        "JOIN customers c ON c.id = o.customer_id "
        "LEFT JOIN locations l ON l.id = o.location_id "
        f"WHERE o.status IN {INVOICED} {only}"
        ") AS keyed GROUP BY company_id, day, sales_rep_id"
    )


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(stored: str, timezone: str) -> str:
    """The local date ('YYYY-MM-DD') of a stored naive-UTC timestamp text in `timezone`."""
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(_zone(timezone)).date().isoformat()


def register_sqlite_functions(connection: sa.Connection) -> None:
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None  # an open connection has its DB-API connection
    dbapi.create_function("rolodex_0004_local_date", 2, local_date, deterministic=True)


def upgrade() -> None:
    op.create_table(
        "daily_sales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sales_rep_id", sa.Integer(), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_daily_sales_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "day", "sales_rep_id", name=op.f("pk_daily_sales")),
    )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        register_sqlite_functions(connection)
    op.execute(backfill_sql(connection.dialect.name))


def downgrade() -> None:
    op.drop_table("daily_sales")
