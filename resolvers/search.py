"""Root `search`: customers, contacts, locations and orders by fragment, best first.

Matching is by substring of folded text (lower case, accents removed), answered
from indexes: SQLite FTS5 trigram tables (migration 0002; orders: 0003) and
PostgreSQL pg_trgm GIN indexes on the same expressions. Trigrams need three
characters: shorter queries match customer name prefixes (and order numbers)
only, from the (company, name_key) index.

Ranking: exact match, then prefix, then substring (rank 0, 1, 2, taken over a
type's ranking fields); within a rank by name. Each type returns its own best
`first` rows, and those lists are merged, so the overall best `first` are exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    String,
    case,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)

from db.models import Base, Contact, Customer, Location, Order
from resolvers.errors import BadUserInput
from resolvers.text import fold

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_RESULTS = 50
MIN_TRIGRAM = 3
PHONE_QUERY = re.compile(r"^[0-9\s()+./-]+$")
# Above any character in a name: `key < term + LAST` means "starts with term".
LAST = "\U0010ffff"


def _digits(column_sql: str) -> str:
    """SQL for the digits of a phone column; the same text as migration 0002's."""
    expression = f"coalesce({column_sql}, '')"
    for separator in (" ", "-", "(", ")", ".", "+", "/"):
        expression = f"replace({expression}, '{separator}', '')"
    return expression


@dataclass(frozen=True)
class Searchable:
    """One searched type: its FTS table / trigram-indexed expressions, as in migration 0002.

    `fields` maps the FTS column to the SQL the index holds; PostgreSQL matches
    an expression index only when the query repeats the expression exactly, so
    these strings are the migration's, with the table name in front.
    """

    model: type[Base]
    fts_table: str
    fields: dict[str, str]
    # Fields whose exact or prefix match ranks above a substring match.
    ranked: tuple[str, ...]
    sort_sql: str
    kind_order: int
    phone_field: str | None = None
    sql: dict[str, ColumnElement[Any]] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "sql", {name: literal_column(sql) for name, sql in self.fields.items()}
        )


CUSTOMERS = Searchable(
    Customer,
    "customers_search_fts",
    {"name": "customers.name_key"},
    ranked=("name",),
    sort_sql="customers.name_key",
    kind_order=0,
)
CONTACTS = Searchable(
    Contact,
    "contacts_search_fts",
    {
        "name": "coalesce(contacts.name_key, lower(contacts.name))",
        "email": "lower(coalesce(contacts.email, ''))",
        "phone": _digits("contacts.phone") + " || ' ' || " + _digits("contacts.mobile"),
    },
    ranked=("name", "email"),
    sort_sql="coalesce(contacts.name_key, lower(contacts.name))",
    kind_order=1,
    phone_field="phone",
)
LOCATIONS = Searchable(
    Location,
    "locations_search_fts",
    {
        "name": "coalesce(locations.name_key, lower(locations.name))",
        "city": "coalesce(locations.city_key, lower(coalesce(locations.city, '')))",
    },
    ranked=("name", "city"),
    sort_sql="coalesce(locations.name_key, lower(locations.name))",
    kind_order=2,
)
ORDER_SEARCH_FTS = table("orders_search_fts", column("rowid"))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phrase(term: str) -> str:
    """An FTS5 phrase: with the trigram tokenizer, a substring match."""
    return '"' + term.replace('"', '""') + '"'


def _rank(expressions: Sequence[ColumnElement[Any]], term: str) -> ColumnElement[int]:
    prefix = _escape_like(term) + "%"
    return case(
        (or_(*(e == term for e in expressions)), 0),
        (or_(*(e.like(prefix, escape="\\") for e in expressions)), 1),
        else_=2,
    )


@dataclass(frozen=True)
class Hit:
    rank: int
    sort: str
    kind_order: int
    id: int
    row: Any


def _phone_digits(query: str) -> str | None:
    if not PHONE_QUERY.match(query):
        return None
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= MIN_TRIGRAM else None


async def _search_type(
    context: Context, dialect: str, spec: Searchable, term: str, digits: str | None, first: int
) -> list[Hit]:
    model: Any = spec.model
    if dialect == "sqlite":
        match = _phrase(term)
        if digits and spec.phone_field:
            match += f" OR {spec.phone_field} : {_phrase(digits)}"
        # Bound, not inlined: the match expression comes from the user.
        found = (
            select(column("rowid"))
            .select_from(table(spec.fts_table))
            .where(text(f"{spec.fts_table} MATCH :match").bindparams(match=match))
        )
        condition = model.id.in_(found)
    else:
        pattern = "%" + _escape_like(term) + "%"
        conditions = [e.like(pattern, escape="\\") for e in spec.sql.values()]
        if digits and spec.phone_field:
            phone = spec.sql[spec.phone_field]
            conditions.append(phone.like("%" + digits + "%"))
        condition = or_(*conditions)
    rank = _rank([spec.sql[name] for name in spec.ranked], term)
    sort = _by_code_point(literal_column(spec.sort_sql), dialect)
    statement = (
        select(model, rank.label("rank"), sort.label("sort"))
        .where(condition)
        .order_by(rank, sort, model.id)
        .limit(first)
    )
    result = await context.session.execute(statement)
    return [Hit(r.rank, r.sort, spec.kind_order, r[0].id, r[0]) for r in result]


def _by_code_point(expression: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    """The types' lists are merged in Python, so SQL must order names the same way."""
    return expression.collate("C") if dialect == "postgresql" else expression


async def _customer_prefixes(context: Context, dialect: str, term: str, first: int) -> list[Hit]:
    """Short queries: customers whose name starts with the term, from the name index."""
    if dialect == "sqlite":
        # Binary collation: a range is exactly "starts with" and walks the index.
        condition = (Customer.name_key >= term) & (Customer.name_key < term + LAST)
    else:
        condition = Customer.name_key.like(_escape_like(term) + "%", escape="\\")
    rank = case((Customer.name_key == term, 0), else_=1)
    statement = (
        select(Customer, rank.label("rank"))
        .where(condition)
        .order_by(rank, _by_code_point(Customer.name_key, dialect), Customer.id)
        .limit(first)
    )
    result = await context.session.execute(statement)
    return [Hit(r.rank, r[0].name_key, CUSTOMERS.kind_order, r[0].id, r[0]) for r in result]


async def _orders(context: Context, dialect: str, query: str, term: str, first: int) -> list[Hit]:
    """Orders by number (exact, "#1042" or "1042") or PO number (substring)."""
    conditions: list[ColumnElement[bool]] = []
    number = query.removeprefix("#")
    if number.isdigit() and len(number) <= 9:
        conditions.append(Order.number == int(number))
    po = func.lower(func.coalesce(Order.po_number, ""))
    if len(term) >= MIN_TRIGRAM:
        if dialect == "sqlite":
            found = select(ORDER_SEARCH_FTS.c.rowid).where(
                text("orders_search_fts MATCH :po_match").bindparams(
                    po_match="po_number : " + _phrase(term)
                )
            )
            conditions.append(Order.id.in_(found))
        else:
            # ILIKE on the column itself: migration 0003's trigram index covers it.
            conditions.append(Order.po_number.ilike("%" + _escape_like(term) + "%", escape="\\"))
    if not conditions:
        return []
    prefix = _escape_like(term) + "%"
    rank = case(
        (or_(cast(Order.number, String) == number, po == term), 0),
        (po.like(prefix, escape="\\"), 1),
        else_=2,
    )
    # An order's "name" is its PO number.
    sort = _by_code_point(po, dialect)
    statement = (
        select(Order, rank.label("rank"), sort.label("sort"))
        .where(or_(*conditions))
        .order_by(rank, sort, Order.id)
        .limit(first)
    )
    result = await context.session.execute(statement)
    return [Hit(r.rank, r.sort, 3, r[0].id, r[0]) for r in result]


async def search(context: Context, query: str, first: int) -> list[Any]:
    """The best `first` customers, contacts, locations and orders matching `query`."""
    if not 1 <= first <= MAX_RESULTS:
        raise BadUserInput(f"`first` must be between 1 and {MAX_RESULTS}; got {first}.")
    query = query.strip()
    term = fold(query)
    if not term:
        return []
    dialect = context.db.dialect
    hits: list[Hit] = []
    if len(term) >= MIN_TRIGRAM:
        digits = _phone_digits(query)
        for spec in (CUSTOMERS, CONTACTS, LOCATIONS):
            hits += await _search_type(context, dialect, spec, term, digits, first)
    else:
        hits += await _customer_prefixes(context, dialect, term, first)
    hits += await _orders(context, dialect, query, term, first)
    hits.sort(key=lambda h: (h.rank, h.sort, h.kind_order, h.id))
    return [hit.row for hit in hits[:first]]
