"""order search: substring indexes on PO number and line content; due-date sort index

SQLite: an FTS5 trigram table over orders (external content, kept in step by
triggers). PostgreSQL: pg_trgm GIN indexes. Both answer `LIKE '%term%'`-style
searches from an index at millions of orders (resolvers.order_list.search_clause).
Both: an index on the DUE_DATE sort expression (resolvers.order_list.DUE_DATE_SORT),
which puts orders without a due date last.

SQLite batch migrations rebuild a table and drop its triggers: a later batch
migration of `orders` must recreate the triggers below.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DUE_SORT_UP = """CREATE INDEX ix_orders_due_sort_expr
    ON orders (company_id, coalesce(due_date, '9999-12-31'), id)"""
DUE_SORT_DOWN = "DROP INDEX IF EXISTS ix_orders_due_sort_expr"

SQLITE_UP = [
    """CREATE VIRTUAL TABLE orders_search_fts USING fts5(
        po_number, search_text, content='orders', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER orders_search_fts_insert AFTER INSERT ON orders BEGIN
        INSERT INTO orders_search_fts(rowid, po_number, search_text)
        VALUES (new.id, new.po_number, new.search_text);
    END""",
    """CREATE TRIGGER orders_search_fts_delete AFTER DELETE ON orders BEGIN
        INSERT INTO orders_search_fts(orders_search_fts, rowid, po_number, search_text)
        VALUES ('delete', old.id, old.po_number, old.search_text);
    END""",
    """CREATE TRIGGER orders_search_fts_update AFTER UPDATE OF po_number, search_text ON orders
    BEGIN
        INSERT INTO orders_search_fts(orders_search_fts, rowid, po_number, search_text)
        VALUES ('delete', old.id, old.po_number, old.search_text);
        INSERT INTO orders_search_fts(rowid, po_number, search_text)
        VALUES (new.id, new.po_number, new.search_text);
    END""",
    "INSERT INTO orders_search_fts(orders_search_fts) VALUES ('rebuild')",
    DUE_SORT_UP,
]
SQLITE_DOWN = [
    DUE_SORT_DOWN,
    "DROP TRIGGER IF EXISTS orders_search_fts_update",
    "DROP TRIGGER IF EXISTS orders_search_fts_delete",
    "DROP TRIGGER IF EXISTS orders_search_fts_insert",
    "DROP TABLE IF EXISTS orders_search_fts",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_orders_search_text_trgm ON orders USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX ix_orders_po_number_trgm ON orders USING gin (po_number gin_trgm_ops)",
    DUE_SORT_UP,
]
POSTGRES_DOWN = [
    DUE_SORT_DOWN,
    "DROP INDEX IF EXISTS ix_orders_po_number_trgm",
    "DROP INDEX IF EXISTS ix_orders_search_text_trgm",
]


def _run(statements: dict[str, list[str]]) -> None:
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})
