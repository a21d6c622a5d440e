"""The order history: filters, search and sort (the GraphQL list and the CSV export share
them), and the loaders of an order's lines and location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    SQLColumnExpression,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)

from db.enums import (
    OrderStatus,
)
from db.models import (
    Order,
    OrderLine,
)
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.loaders import rows_by_id
from resolvers.pagination import Children, PageArgs, SortKey, paginate_for
from resolvers.text import fold, like_pattern
from resolvers.validation import search_term

if TYPE_CHECKING:
    from resolvers.context import Context


# ---------------------------------------------------------------------------
# The order history: filters, search, sort (GraphQL list and CSV export share these)
# ---------------------------------------------------------------------------

# SQLite's FTS5 trigram index over orders.po_number and orders.search_text (migration 0003).
ORDER_SEARCH_FTS = table("orders_search_fts", column("rowid"))
# Index-assisted substring search needs 3 characters (trigrams); shorter terms scan.
MIN_INDEXED_SEARCH = 3
# Orders without a due date yet sort after every dated one. Spelled as SQL text, not a
# bound parameter, so it matches the expression index of migration 0003.
DUE_DATE_SORT = func.coalesce(Order.due_date, literal_column("'9999-12-31'", Date))

SORT_COLUMNS: dict[str, SQLColumnExpression[Any]] = {
    "CREATED_AT": Order.placed_at,
    "NUMBER": Order.number,
    "TOTAL": Order.total_cents,
    "STATUS": Order.status,
    "DUE_DATE": DUE_DATE_SORT,
}
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("CREATED_AT", True),)


@dataclass(frozen=True)
class OrderQuery:
    """What to list: every part narrows (AND); empty parts don't filter."""

    # Customer.orders: the list within one customer.
    of_customer_id: int | None = None
    customer_ids: tuple[int, ...] = ()
    location_ids: tuple[int, ...] = ()
    statuses: tuple[OrderStatus, ...] = ()
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    has_balance: bool | None = None
    search: str | None = None
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT


def filter_ids(values: Sequence[str] | None, type_name: str, argument: str) -> tuple[int, ...]:
    """Pks of a list filter's ids; a malformed id or one of another type is a request error."""
    pks = []
    for value in values or ():
        decoded = decode_id(value)
        if decoded is None or decoded[0] != type_name:
            raise BadUserInput(
                f"`{argument}`: not a valid {type_name} id: {value!r}.", "INVALID_ID"
            )
        pks.append(decoded[1])
    return tuple(dict.fromkeys(pks))


def search_clause(dialect: str, search: str) -> ColumnElement[bool]:
    """Number (exact, "#1042" or "1042"), PO number or line content (substring, any case).

    Line content is orders.search_text (folded sku, product name, description);
    SQLite answers substrings from the FTS5 trigram table, PostgreSQL from
    pg_trgm GIN indexes on po_number and search_text (migration 0003).
    """
    term = (search_term(search) or "").strip()
    folded = fold(term)
    clauses: list[ColumnElement[bool]] = []
    digits = term.removeprefix("#")
    if digits.isdigit() and len(digits) <= 9:
        clauses.append(Order.number == int(digits))
    if dialect == "sqlite" and len(folded) >= MIN_INDEXED_SEARCH:
        phrase = '"' + folded.replace('"', '""') + '"'
        matches = select(ORDER_SEARCH_FTS.c.rowid).where(
            text("orders_search_fts MATCH :order_search").bindparams(order_search=phrase)
        )
        clauses.append(Order.id.in_(matches))
    else:
        clauses.append(Order.po_number.ilike(like_pattern(term.lower()), escape="\\"))
        clauses.append(Order.search_text.like(like_pattern(folded), escape="\\"))
    return or_(*clauses)


def orders_statement(dialect: str, query: OrderQuery, *columns: Any) -> Select[Any]:
    """The filtered orders (no order), selecting `columns` or the Order rows."""
    statement = select(*columns) if columns else select(Order)
    conditions: list[ColumnElement[bool]] = []
    if query.of_customer_id is not None:
        conditions.append(Order.customer_id == query.of_customer_id)
    if query.customer_ids:
        conditions.append(Order.customer_id.in_(query.customer_ids))
    if query.location_ids:
        conditions.append(Order.location_id.in_(query.location_ids))
    if query.statuses:
        conditions.append(Order.status.in_(query.statuses))
    if query.placed_from is not None:
        conditions.append(Order.placed_at >= query.placed_from)
    if query.placed_to is not None:
        conditions.append(Order.placed_at < query.placed_to)
    if query.has_balance is True:
        conditions.append(Order.balance_due_cents > 0)
    elif query.has_balance is False:
        conditions.append(Order.balance_due_cents <= 0)
    if query.search and query.search.strip():
        conditions.append(search_clause(dialect, query.search))
    return statement.where(and_(*conditions)) if conditions else statement


def sort_keys(query: OrderQuery) -> list[SortKey]:
    keys, seen = [], set()
    for name, descending in query.sort or DEFAULT_SORT:
        if name not in seen:
            seen.add(name)
            keys.append(SortKey(SORT_COLUMNS[name], descending))
    return keys


async def orders_page(
    context: Context, args: PageArgs, query: OrderQuery, *, with_lines: bool = False
) -> Any:
    """A page of orders; `with_lines` reads their lines in the same statement."""
    statement = orders_statement(context.db.dialect, query)
    return await paginate_for(
        context,
        statement,
        sort_keys(query),
        Order.id,
        args,
        children=ORDER_LINES if with_lines else None,
    )


# ---------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------


async def load_order_lines(context: Context, order_ids: Sequence[int]) -> list[list[OrderLine]]:
    result = await context.session.execute(
        select(OrderLine)
        .where(OrderLine.order_id.in_(set(order_ids)))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    lines: dict[int, list[OrderLine]] = {}
    for line in result.scalars():
        lines.setdefault(line.order_id, []).append(line)
    return [lines.get(order_id, []) for order_id in order_ids]


# An order's lines read along with a page of orders (see orders_page).
ORDER_LINES = Children(OrderLine, OrderLine.order_id, (OrderLine.position,), load_order_lines)


async def load_order(context: Context, ids: Sequence[int]) -> list[Order | None]:
    return await rows_by_id(context, Order, ids)
