"""search: substring indexes for customers, contacts and locations

SQLite: contentless FTS5 trigram tables kept in step by triggers. SQLite 3.40's
trigram tokenizer cannot remove diacritics, so the triggers index the folded
keys written by resolvers.text (falling back to lower() where a key is null).
PostgreSQL: pg_trgm GIN indexes on the very expressions resolvers.search
queries with LIKE. Order numbers and PO numbers use migration 0003's indexes.

The expressions here and in resolvers.search (SEARCH_FIELDS) must stay the same.
SQLite batch migrations rebuild a table and drop its triggers: a later batch
migration of customers, contacts or locations must recreate the triggers below.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _digits(column: str) -> str:
    """The digits of a phone number (what resolvers.search.digits_only renders)."""
    expression = f"coalesce({column}, '')"
    for separator in (" ", "-", "(", ")", ".", "+", "/"):
        expression = f"replace({expression}, '{separator}', '')"
    return expression


# Searchable fields per table: FTS column -> SQL over the row (prefix new./old. added).
FIELDS = {
    "customers": {"name": "{row}name_key"},
    "contacts": {
        "name": "coalesce({row}name_key, lower({row}name))",
        "email": "lower(coalesce({row}email, ''))",
        "phone": _digits("{row}phone") + " || ' ' || " + _digits("{row}mobile"),
    },
    "locations": {
        "name": "coalesce({row}name_key, lower({row}name))",
        "city": "coalesce({row}city_key, lower(coalesce({row}city, '')))",
    },
}
# Columns whose change re-indexes a row.
WATCHED = {
    "customers": "name_key",
    "contacts": "name, name_key, email, phone, mobile",
    "locations": "name, name_key, city, city_key",
}


def _sqlite_up(table: str) -> list[str]:
    fts = f"{table}_search_fts"
    columns = ", ".join(FIELDS[table])

    def values(row: str) -> str:
        return ", ".join(sql.format(row=row) for sql in FIELDS[table].values())

    insert = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {values('new.')});"
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {values('old.')});"
    )
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {WATCHED[table]} ON {table} "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}(rowid, {columns}) SELECT id, {values('')} FROM {table}",
    ]


def _sqlite_down(table: str) -> list[str]:
    fts = f"{table}_search_fts"
    return [
        f"DROP TRIGGER IF EXISTS {fts}_update",
        f"DROP TRIGGER IF EXISTS {fts}_delete",
        f"DROP TRIGGER IF EXISTS {fts}_insert",
        f"DROP TABLE IF EXISTS {fts}",
    ]


def _postgres_up(table: str) -> list[str]:
    return [
        f"CREATE INDEX ix_{table}_search_{field}_trgm ON {table} "
        f"USING gin (({sql.format(row='')}) gin_trgm_ops)"
        for field, sql in FIELDS[table].items()
    ]


def _postgres_down(table: str) -> list[str]:
    return [f"DROP INDEX IF EXISTS ix_{table}_search_{field}_trgm" for field in FIELDS[table]]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in FIELDS:
        if dialect == "sqlite":
            statements += _sqlite_up(table)
        elif dialect == "postgresql":
            statements += _postgres_up(table)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in FIELDS:
        statements = {"sqlite": _sqlite_down, "postgresql": _postgres_down}[dialect](table)
        for statement in statements:
            op.execute(statement)
