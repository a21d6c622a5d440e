"""Keyset pagination over any sort: stable pages, ties broken by id.

A cursor holds the sort values of its row plus the id, so the next page starts
strictly after it whatever was inserted meanwhile. Sort expressions must be
non-null (wrap nullable columns in coalesce).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression

from resolvers.errors import BadUserInput

if TYPE_CHECKING:
    from resolvers.context import Context, ReadSession

T = TypeVar("T")

# Ours are under 200 characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 1000


@dataclass(frozen=True)
class SortKey:
    expression: SQLColumnExpression[Any]
    descending: bool = False


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    # The total over all pages: an int, or an awaitable when it needs a query.
    count: Callable[[], Awaitable[int] | int]
    start_cursor: str | None = field(init=False)
    end_cursor: str | None = field(init=False)
    # With `Children`: each item's children, by the item's id.
    children: dict[Any, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start_cursor = self.cursors[0] if self.cursors else None
        self.end_cursor = self.cursors[-1] if self.cursors else None


@dataclass(frozen=True)
class Children:
    """Rows of a child table read in the page's own statement, e.g. the lines of a page of
    orders: one statement (the page, then a join) instead of a page and a loader's.

    `parent_id` is the child column referring to the page's id column; `order_by` the
    children's order within their parent; `paginate_for` primes `loader` (parent id ->
    list of children) with them, so the field reading them through it runs no statement.
    """

    model: Any
    parent_id: Any
    order_by: tuple[Any, ...] = ()
    loader: Any = None


@dataclass(frozen=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _invalid(cursor: str) -> BadUserInput:
    return BadUserInput(
        f"Invalid cursor: {cursor[:100]!r}. Use a cursor this list returned, "
        "with the same sort; start again without `after`/`before` after changing the sort."
    )


def _from_json(value: Any, cursor: str) -> Any:
    """A sort value back from JSON: a scalar, or a tagged date-time or date; else refused."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("t"), str):
            parse: Callable[[str], Any] = datetime.fromisoformat
            text = value["t"]
        elif len(value) == 1 and isinstance(value.get("d"), str):
            parse = date.fromisoformat
            text = value["d"]
        else:
            raise _invalid(cursor)
        try:
            return parse(text)
        except ValueError as error:
            raise _invalid(cursor) from error
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _invalid(cursor)  # null, lists, objects: never a sort value we wrote
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise _invalid(cursor)  # beyond any database integer
    return value


def list_id(keys: Sequence[SortKey], id_column: Any) -> str:
    """What a cursor names its list and sort by: the id's table, the sort columns and their
    directions, hashed short. A cursor of another list or sort then differs in it."""
    table = getattr(id_column, "table", None)
    described = [getattr(table, "name", "?")] + [
        f"{k.expression}{' desc' if k.descending else ''}" for k in keys
    ]
    return hashlib.blake2s("|".join(described).encode(), digest_size=6).hexdigest()


def encode_cursor(values: Sequence[Any], list_of: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([list_of, [_to_json(v) for v in values]])).decode()


def decode_cursor(cursor: str, size: int, list_of: str) -> list[Any]:
    """The sort values of `cursor`, refused (BAD_USER_INPUT) unless it is one this list and
    sort gave out: well-formed, of the right width, each value of a kind we write."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid(cursor)
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as error:
        raise _invalid(cursor) from error
    if not (isinstance(decoded, list) and len(decoded) == 2):
        raise _invalid(cursor)
    owner, values = decoded
    if owner != list_of or not isinstance(values, list) or len(values) != size:
        raise _invalid(cursor)
    parsed = [_from_json(v, cursor) for v in values]
    if parsed and not isinstance(parsed[-1], int):
        raise _invalid(cursor)  # the last value is always the row's id
    return parsed


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (lexicographic)."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j].expression == values[j] for j in range(i)]
        step = key.expression < values[i] if key.descending else key.expression > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def check_page_args(args: PageArgs, default_size: int, max_size: int) -> tuple[int, bool]:
    """(page size, backwards) from Relay arguments, with the page-size cap."""
    if args.first is not None and args.last is not None:
        raise BadUserInput("Pass either `first` or `last`, not both.")
    size = args.last if args.last is not None else args.first
    if size is None:
        size = default_size
    if size < 0:
        raise BadUserInput("`first` and `last` must not be negative.")
    if size > max_size:
        raise BadUserInput(f"`first` and `last` may be at most {max_size}; asked for {size}.")
    return size, args.last is not None


async def paginate(
    session: AsyncSession | ReadSession,
    statement: Select[Any],
    keys: Sequence[SortKey],
    id_column: SQLColumnExpression[int],
    args: PageArgs,
    *,
    default_size: int,
    max_size: int,
    scalars: bool = True,
    children: Children | None = None,
) -> Page[Any]:
    """One page of `statement` ordered by `keys` then id; the count runs only when asked.

    With `children` (a statement of one entity, `scalars`), the page's children are read
    in the same statement (Page.children).
    """
    size, backwards = check_page_args(args, default_size, max_size)
    all_keys = [*keys, SortKey(id_column, keys[-1].descending if keys else False)]
    list_of = list_id(keys, id_column)
    # Sort values are selected alongside so cursors come from the database's own values.
    key_labels: list[Any] = [k.expression.label(f"_k{i}") for i, k in enumerate(all_keys)]
    page_statement, order_by = _keyset_page(
        statement.add_columns(*key_labels), all_keys, list_of, args, size, backwards
    )

    width = len(all_keys)
    grouped: dict[Any, list[Any]] = {}
    rows: Sequence[Any]
    if not size:
        rows = []
    elif children is None:
        rows = (await session.execute(page_statement)).all()
    else:
        rows, grouped = await _with_children(
            session, statement, page_statement, key_labels, order_by, id_column, children
        )
    has_more = len(rows) > size
    rows = list(rows[:size])
    if backwards:
        rows.reverse()
    has_next_page, has_previous_page = page_flags(args, has_more, backwards)

    async def count() -> int:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return (await session.execute(counted)).scalar_one()

    return Page(
        items=[row[0] if scalars else row[:-width] for row in rows],
        cursors=[encode_cursor(row[-width:], list_of) for row in rows],
        has_next_page=has_next_page,
        has_previous_page=has_previous_page,
        count=count,
        children=grouped,
    )


def page_flags(args: PageArgs, has_more: bool, backwards: bool) -> tuple[bool, bool]:
    """(hasNextPage, hasPreviousPage): the side read towards knows whether rows remain;
    the other side is taken to have rows when the page starts from a cursor on it."""
    if backwards:
        return args.before is not None, has_more
    return has_more, args.after is not None


def _keyset_page(
    page_statement: Select[Any],
    all_keys: list[SortKey],
    list_of: str,
    args: PageArgs,
    size: int,
    backwards: bool,
) -> tuple[Select[Any], list[Any]]:
    """`page_statement` limited to the rows between the cursors, in reading order (reversed
    when reading backwards), one row past the page; also returns its ORDER BY terms."""
    if args.after:
        page_statement = page_statement.where(
            _after(all_keys, decode_cursor(args.after, len(all_keys), list_of))
        )
    if args.before:
        reversed_keys = [SortKey(k.expression, not k.descending) for k in all_keys]
        page_statement = page_statement.where(
            _after(reversed_keys, decode_cursor(args.before, len(all_keys), list_of))
        )
    order_keys = (
        [SortKey(k.expression, not k.descending) for k in all_keys] if backwards else all_keys
    )
    order_by = [k.expression.desc() if k.descending else k.expression.asc() for k in order_keys]
    return page_statement.order_by(*order_by).limit(size + 1), order_by


async def _with_children(
    session: Any,
    statement: Select[Any],
    page_statement: Select[Any],
    key_labels: Sequence[Any],
    order_by: Sequence[Any],
    id_column: SQLColumnExpression[int],
    children: Children,
) -> tuple[list[Any], dict[Any, list[Any]]]:
    """The page's rows (as `paginate` reads them) and their children, from one statement:
    the statement's rows whose ids are the page's (a subquery), outer-joined to the
    children, in the page's order. (Cheaper to build than an alias of the page.)"""
    page_ids = page_statement.with_only_columns(id_column)
    joined = (
        statement.add_columns(*key_labels, children.model)
        .outerjoin(children.model, children.parent_id == id_column)
        .where(id_column.in_(page_ids))
        .order_by(*order_by, *children.order_by)
    )
    rows: list[Any] = []
    grouped: dict[Any, list[Any]] = {}
    child_parent = children.parent_id.key
    id_key = id_column.key  # type: ignore[attr-defined]  # a mapped column attribute
    for row in (await session.execute(joined)).all():
        if not rows or rows[-1][0] is not row[0]:
            rows.append(row[:-1])
            grouped[getattr(row[0], id_key)] = []
        child = row[-1]
        if child is not None:
            grouped[getattr(child, child_parent)].append(child)
    return rows, grouped


async def paginate_for(
    context: Context,
    statement: Select[Any],
    keys: Sequence[SortKey],
    id_column: SQLColumnExpression[int],
    args: PageArgs,
    *,
    scalars: bool = True,
    children: Children | None = None,
) -> Page[Any]:
    """`paginate` on the request's read session with the configured page sizes; the
    children's loader is primed with the page's children."""
    page = await paginate(
        context.session,
        statement,
        keys,
        id_column,
        args,
        default_size=context.settings.default_page_size,
        max_size=context.settings.max_page_size,
        scalars=scalars,
        children=children,
    )
    if children is not None and children.loader is not None:
        context.loaders[children.loader].prime_many(page.children)
    return page
