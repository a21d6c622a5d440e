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
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    union_all,
)

from db.models import Base, Contact, Customer, Location, Order
from resolvers.errors import BadUserInput
from resolvers.text import fold
from resolvers.validation import search_term

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


def _matches(
    dialect: str,
    spec: Searchable,
    term: str,
    digits: str | None,
    gate: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """Rows of `spec` containing the term in a searched field (or the digits in its phone).

    `gate`, a condition on no row, is checked once before the index is read; false, it
    isn't read at all (SQLite only skips the FTS scan when it is inside the subquery).
    """
    model: Any = spec.model
    if dialect == "sqlite":
        match = _phrase(term)
        if digits and spec.phone_field:
            match += f" OR {spec.phone_field} : {_phrase(digits)}"
        # Bound, not inlined: the match expression comes from the user.
        found: Select[Any] = (
            select(column("rowid"))
            .select_from(table(spec.fts_table))
            .where(text(f"{spec.fts_table} MATCH :match").bindparams(match=match))
        )
        if gate is not None:
            found = found.where(gate)
        return model.id.in_(found)
    pattern = "%" + _escape_like(term) + "%"
    conditions = [e.like(pattern, escape="\\") for e in spec.sql.values()]
    if digits and spec.phone_field:
        phone = spec.sql[spec.phone_field]
        conditions.append(phone.like("%" + digits + "%"))
    return or_(*conditions) if gate is None else and_(gate, or_(*conditions))


async def _search_type(
    context: Context, dialect: str, spec: Searchable, term: str, digits: str | None, first: int
) -> list[Hit]:
    model: Any = spec.model
    condition = _matches(dialect, spec, term, digits)
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


def _by_code_point(expression: SQLColumnExpression[str], dialect: str) -> SQLColumnExpression[str]:
    """The types' lists are merged in Python, so SQL must order names the same way."""
    return expression.collate("C") if dialect == "postgresql" else expression


async def _customer_prefixes(context: Context, dialect: str, term: str, first: int) -> list[Hit]:
    """Customers whose name is or starts with the term (ranks 0 and 1), best first.

    A range over the name in code-point order, walking an index in that order
    (SQLite: ix_customers_company_name, BINARY; PostgreSQL: migration 0006's
    ix_customers_company_name_c_expr), so it reads `first` rows whatever the number
    of matches. In that order the term itself comes before every longer name that
    starts with it: ordering by name alone is ordering by (rank, name).
    """
    key = _by_code_point(Customer.name_key, dialect)
    statement = (
        select(Customer)
        .where(key >= term, key < term + LAST)
        .order_by(key, Customer.id)
        .limit(first)
    )
    result = await context.session.execute(statement)
    return [
        Hit(0 if row.name_key == term else 1, row.name_key, CUSTOMERS.kind_order, row.id, row)
        for row in result.scalars()
    ]


async def _customers(context: Context, dialect: str, term: str, first: int) -> list[Hit]:
    """The best `first` customers for a term of three characters or more, in one statement.

    Ranking by (rank, name) over every substring match means reading and sorting all of
    them (12% of the names contain "har"). Instead: the exact and prefix matches by a
    range over the name in code-point order, which stops after `first` rows (see
    _customer_prefixes), and only when there are fewer, the other substring matches,
    best `first` in name order. The best `first` of those two short lists are the best
    overall.
    """
    key = _by_code_point(Customer.name_key, dialect)
    starts = and_(key >= term, key < term + LAST)
    prefixed = (
        select(
            Customer.id,
            case((Customer.name_key == term, 0), else_=1).label("rank"),
            key.label("sort"),
        )
        .where(starts)
        .order_by(key, Customer.id)
        .limit(first)
        .subquery()
    )
    # With `first` prefix matches, the substring matches aren't read at all.
    short = select(func.count()).select_from(prefixed).scalar_subquery() < first
    contained = (
        select(Customer.id, literal(2).label("rank"), key.label("sort"))
        .where(_matches(dialect, CUSTOMERS, term, None, gate=short), not_(starts))
        .order_by(key, Customer.id)
        .limit(first)
        .subquery()
    )
    best = union_all(select(prefixed), select(contained)).subquery()
    statement = (
        select(Customer, best.c.rank, best.c.sort)
        .join(best, best.c.id == Customer.id)
        .order_by(best.c.rank, best.c.sort, Customer.id)
        .limit(first)
    )
    result = await context.session.execute(statement)
    return [Hit(r.rank, r.sort, CUSTOMERS.kind_order, r[0].id, r[0]) for r in result]


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
    query = (search_term(query, "query") or "").strip()
    term = fold(query)
    if not term:
        return []
    dialect = context.db.dialect
    hits: list[Hit] = []
    if len(term) >= MIN_TRIGRAM:
        digits = _phone_digits(query)
        hits += await _customers(context, dialect, term, first)
        for spec in (CONTACTS, LOCATIONS):
            hits += await _search_type(context, dialect, spec, term, digits, first)
    else:
        hits += await _customer_prefixes(context, dialect, term, first)
    hits += await _orders(context, dialect, query, term, first)
    hits.sort(key=lambda h: (h.rank, h.sort, h.kind_order, h.id))
    return [hit.row for hit in hits[:first]]
