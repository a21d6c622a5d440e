"""data in: external ids, duplicate keys, merges and the recycle bin

New customer columns: external_id (unique in the company), the duplicate keys
email_key, phone_key and match_name (resolvers/duplicates.py), merged_into_id,
deleted_at and deleted_by_id. Partial indexes keep the duplicate look-ups and the
recycle bin's hidden-customer list to index probes. Columns are added with
ALTER TABLE (no table rebuild on SQLite: rebuilding `customers` would cascade), so
merged_into_id and deleted_by_id carry no foreign key.

The duplicate keys of existing customers are backfilled in batches of ids by the
same Python function that keeps them in step afterwards (accent folding and
phone digits have no portable SQL).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import db.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5_000


def _partial(name: str, columns: list[str], where: str, unique: bool = False) -> None:
    op.create_index(
        name,
        "customers",
        columns,
        unique=unique,
        sqlite_where=sa.text(where) if where else None,
        postgresql_where=sa.text(where) if where else None,
    )


def _backfill_keys() -> None:
    # Imported here: the migration must not depend on resolvers at import time.
    from resolvers.text import duplicate_keys

    connection = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id"),
        sa.column("name"),
        sa.column("email"),
        sa.column("phone"),
        sa.column("email_key"),
        sa.column("phone_key"),
        sa.column("match_name"),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.email, customers.c.phone)
            .where(customers.c.id > last)
            .order_by(customers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            customers.update()
            .where(customers.c.id == sa.bindparam("row_id"))
            .values(
                email_key=sa.bindparam("email_key"),
                phone_key=sa.bindparam("phone_key"),
                match_name=sa.bindparam("match_name"),
            ),
            [{"row_id": row.id, **duplicate_keys(row.name, row.email, row.phone)} for row in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    for column in (
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("phone_key", sa.String(length=40), nullable=True),
        sa.Column("match_name", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", db.models.UTCDateTime(timezone=True), nullable=True),
        # Plain integers, no foreign keys (see db/models.py: no rebuild of `customers`).
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
    ):
        op.add_column("customers", column)
    _partial("uq_customers_company_external_id", ["company_id", "external_id"], "", unique=True)
    _partial("ix_customers_deleted", ["company_id", "deleted_at", "id"], "deleted_at IS NOT NULL")
    _partial("ix_customers_email_key", ["company_id", "email_key"], "email_key IS NOT NULL")
    _partial("ix_customers_phone_key", ["company_id", "phone_key"], "phone_key IS NOT NULL")
    _partial("ix_customers_match_name", ["company_id", "match_name"], "match_name IS NOT NULL")
    # The recycle bin's filter reads interactions.customer_id: the covering index of the
    # interactions report by staff and period gains it, so it stays index-only.
    op.drop_index("ix_interactions_company_author_created", table_name="interactions")
    op.create_index(
        "ix_interactions_company_author_created",
        "interactions",
        ["company_id", "author_id", "created_at", "customer_id"],
    )
    _backfill_keys()


def downgrade() -> None:
    op.drop_index("ix_interactions_company_author_created", table_name="interactions")
    op.create_index(
        "ix_interactions_company_author_created",
        "interactions",
        ["company_id", "author_id", "created_at"],
    )
    for name in (
        "ix_customers_match_name",
        "ix_customers_phone_key",
        "ix_customers_email_key",
        "ix_customers_deleted",
        "uq_customers_company_external_id",
    ):
        op.drop_index(name, table_name="customers")
    with op.batch_alter_table("customers") as batch_op:
        for name in (
            "deleted_by_id",
            "deleted_at",
            "merged_into_id",
            "match_name",
            "phone_key",
            "email_key",
            "external_id",
        ):
            batch_op.drop_column(name)
