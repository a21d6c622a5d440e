"""receivables: unallocated credit, refunds drawn from credits, credit limits, idempotency keys

New columns: customers.unapplied_credit_cents and credit_limit_cents,
transactions.unallocated_cents; new tables refund_draws and idempotency_keys; partial
indexes for the aging report (charges on account, customers holding credit) and for
refunds (credits with something left). See resolvers/ledger.py for the arithmetic.

The backfill, all set-based:
1. every credit (PAYMENT, CREDIT, negative ADJUSTMENT) gets unallocated_cents =
   |amount| − its live allocations;
2. refunds draw from the customer's credits oldest first: refund i covers the interval
   [R_i − r_i, R_i) of the running refund total, credit j holds [C_j − c_j, C_j) of the
   running credit total, and a draw is the overlap of the two (one INSERT ... SELECT);
3. credits lose what was drawn; customers.unapplied_credit_cents = Σ what is left.
A legacy refund larger than the credits it could draw from (accepted before OVER_REFUND
existed) keeps its undrawn rest: such a customer's aging row can't reconcile, as its
ledger never did.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import db.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CREDIT = "(kind IN ('PAYMENT', 'CREDIT') OR (kind = 'ADJUSTMENT' AND amount_cents < 0))"

BACKFILL = [
    f"""UPDATE transactions SET unallocated_cents = abs(amount_cents) - coalesce((
        SELECT sum(a.amount_cents) FROM transaction_allocations a
        WHERE a.transaction_id = transactions.id AND a.released_at IS NULL), 0)
    WHERE {CREDIT}""",
    """INSERT INTO refund_draws (company_id, refund_id, credit_id, amount_cents, created_at)
    SELECT r.company_id, r.id, c.id,
        CASE WHEN r.r_end < c.c_end THEN r.r_end ELSE c.c_end END
        - CASE WHEN r.r_end - r.r > c.c_end - c.c THEN r.r_end - r.r ELSE c.c_end - c.c END,
        r.occurred_at
    FROM (SELECT id, company_id, customer_id, occurred_at, amount_cents AS r,
            sum(amount_cents) OVER (PARTITION BY customer_id ORDER BY occurred_at, id) AS r_end
          FROM transactions WHERE kind = 'REFUND') AS r
    JOIN (SELECT id, customer_id, unallocated_cents AS c,
            sum(unallocated_cents) OVER (PARTITION BY customer_id ORDER BY occurred_at, id)
                AS c_end
          FROM transactions WHERE unallocated_cents > 0) AS c
      ON c.customer_id = r.customer_id
     AND c.c_end - c.c < r.r_end AND r.r_end - r.r < c.c_end""",
    """UPDATE transactions SET unallocated_cents = unallocated_cents - (
        SELECT sum(d.amount_cents) FROM refund_draws d WHERE d.credit_id = transactions.id)
    WHERE id IN (SELECT credit_id FROM refund_draws)""",
    """UPDATE customers SET unapplied_credit_cents = (
        SELECT coalesce(sum(t.unallocated_cents), 0) FROM transactions t
        WHERE t.customer_id = customers.id AND t.unallocated_cents > 0)
    WHERE id IN (SELECT customer_id FROM transactions WHERE unallocated_cents > 0)""",
]


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        table,
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(
            sa.Column("unapplied_credit_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("credit_limit_cents", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("transactions") as batch_op:
        batch_op.add_column(sa.Column("unallocated_cents", sa.BigInteger(), nullable=True))

    op.create_table(
        "refund_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("credit_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_refund_draws_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["transactions.id"],
            name=op.f("fk_refund_draws_refund_id_transactions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["credit_id"],
            ["transactions.id"],
            name=op.f("fk_refund_draws_credit_id_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_draws")),
    )
    op.create_index("ix_refund_draws_refund", "refund_draws", ["refund_id"])
    op.create_index("ix_refund_draws_credit", "refund_draws", ["credit_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_idempotency_keys_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_idempotency_keys_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("staff_id", "key", name=op.f("uq_idempotency_keys_staff_id_key")),
    )

    _partial(
        "ix_customers_unapplied_credit",
        "customers",
        ["company_id", "id", "unapplied_credit_cents"],
        "unapplied_credit_cents > 0",
    )
    _partial(
        "ix_transactions_charges",
        "transactions",
        ["company_id", "customer_id", "occurred_at", "amount_cents", "kind"],
        "kind = 'ADJUSTMENT' AND amount_cents > 0",
    )
    _partial(
        "ix_transactions_open_credits",
        "transactions",
        ["customer_id", "occurred_at", "id"],
        "unallocated_cents > 0",
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_transactions_open_credits", "transactions")
    op.drop_index("ix_transactions_charges", "transactions")
    op.drop_index("ix_customers_unapplied_credit", "customers")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_refund_draws_credit", "refund_draws")
    op.drop_index("ix_refund_draws_refund", "refund_draws")
    op.drop_table("refund_draws")
    with op.batch_alter_table("transactions") as batch_op:
        batch_op.drop_column("unallocated_cents")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("credit_limit_cents")
        batch_op.drop_column("unapplied_credit_cents")
