"""The sales rollup (db.models.DailySales): invoiced orders per local day and effective rep.

Definition (what `rebuild_sales_rollup` computes from the orders): for each company,
calendar day in the company's time zone and effective sales rep (the order's
location's rep if it overrides one, else the customer's, as assigned now), the
number and total of the invoiced orders placed that day.

Maintenance, in the same transaction as the writes that change it:
- an order becomes invoiced / is cancelled: `add_order` (+1 / -1), called by
  resolvers.orders.record_invoiced / reverse_invoiced;
- an effective rep changes (customer or location rep, bulk updates and their revert,
  a location deleted): `move_customers` / `move_locations` / `move_deleted_location`,
  each ONE INSERT ... SELECT grouping the affected orders by day, called BEFORE the
  rep columns are written (the statement reads the reps still in place);
- the company's time zone changes: `rebuild_sales_rollup`.

Every change is an upsert adding deltas (`ON CONFLICT DO UPDATE SET x = x + excluded.x`),
so concurrent writers never lose updates. On PostgreSQL each writer first takes a
KEY SHARE lock on the company row (while reading its time zone), which a time-zone
change's FOR UPDATE waits for, and vice versa. The rows whose rep moves are locked
first (customers, locations), the same locks an invoicing takes before it adds its
order, so a move and an invoicing of the same customer run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Select,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression

from db.enums import INVOICED_ORDER_STATUSES
from db.models import NO_SALES_REP, Company, Customer, DailySales, Location, Order
from resolvers.localtime import NO_OFFSET, UTC_ZONES, Offsets, local_day, offsets_between

ROLLUP_COLUMNS = ["company_id", "day", "sales_rep_id", "order_count", "total_cents"]


def dialect_of(session: Any) -> str:
    return session.get_bind().dialect.name


async def _sqlite_offsets(session: Any, company_id: int, timezone: str) -> Offsets:
    """The zone's UTC offsets over the placed_at of all the company's orders (SQLite).

    One indexed min/max read, none for UTC. The write lock is held (SQLite), so no
    order can appear outside these bounds before the statement using them runs.
    """
    if dialect_of(session) == "postgresql" or timezone in UTC_ZONES:
        return NO_OFFSET
    first, last = (
        await session.execute(
            select(func.min(Order.placed_at), func.max(Order.placed_at)).where(
                Order.company_id == company_id
            )
        )
    ).one()
    if first is None:
        return NO_OFFSET
    return offsets_between(timezone, first, last)


def effective_rep() -> ColumnElement[Any]:
    """The effective rep key of an order joined to its customer and (outer) location."""
    return func.coalesce(Location.sales_rep_id, Customer.sales_rep_id, NO_SALES_REP)


def _order_keys(
    dialect: str,
    company_id: int,
    timezone: Any,
    offsets: Sequence[tuple[int, int]],
    where: list[Any],
    *,
    locations: bool = True,
    **columns: Any,
) -> Any:
    """A subquery of the company's invoiced orders matching `where`: day, total_cents and
    `columns` (expressions over Order, Customer and, with `locations`, its outer-joined
    Location).

    Grouping happens outside it, on its columns: PostgreSQL can't tell that two bound
    time-zone parameters in SELECT and GROUP BY are the same expression.
    """
    statement = (
        select(
            local_day(dialect, Order.placed_at, timezone, offsets).label("day"),
            Order.total_cents.label("total_cents"),
            *(column.label(name) for name, column in columns.items()),
        )
        .select_from(Order)
        .join(Customer, Customer.id == Order.customer_id)
    )
    if locations:
        statement = statement.outerjoin(Location, Location.id == Order.location_id)
    return statement.where(
        Order.company_id == company_id,
        Order.status.in_(INVOICED_ORDER_STATUSES),
        *where,
    ).subquery("keyed")


def _upsert(dialect: str, rows: Select[Any]) -> Any:
    """INSERT the (company_id, day, sales_rep_id, order_count, total_cents) `rows`,
    adding them to the rows already there."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(DailySales).from_select(ROLLUP_COLUMNS, rows)
    return statement.on_conflict_do_update(
        index_elements=[DailySales.company_id, DailySales.day, DailySales.sales_rep_id],
        set_={
            "order_count": DailySales.order_count + statement.excluded.order_count,
            "total_cents": DailySales.total_cents + statement.excluded.total_cents,
        },
    )


def _company_row(company_id: int, *columns: Any) -> Select[Any]:
    """`columns` from the company's row, KEY SHARE-locked on PostgreSQL (see module doc)."""
    return (
        select(*columns)
        .where(Company.id == company_id)
        .with_for_update(read=True, key_share=True, of=Company)
    )


async def committed_timezone(session: AsyncSession, company_id: int) -> str:
    """The company's time zone as committed now, the row KEY SHARE-locked (PostgreSQL)."""
    return (await session.execute(_company_row(company_id, Company.timezone))).scalar_one()


# ----------------------------------------------------------------------
# Rebuild
# ----------------------------------------------------------------------


def rollup_rows(
    dialect: str,
    company_id: int,
    timezone: str,
    offsets: Sequence[tuple[int, int]] = ((0, 0),),
) -> Select[Any]:
    """The company's rollup computed from its orders (the definition); on SQLite
    `offsets` are the zone's over all its orders (`_sqlite_offsets`)."""
    keyed = _order_keys(dialect, company_id, timezone, offsets, [], rep=effective_rep())
    return select(
        literal(company_id),
        keyed.c.day,
        keyed.c.rep,
        func.count(),
        func.sum(keyed.c.total_cents),
    ).group_by(keyed.c.day, keyed.c.rep)


async def rollup_definition(session: Any, company_id: int, timezone: str) -> Select[Any]:
    """`rollup_rows` for the company's orders as they are now (tests compare with it)."""
    offsets = await _sqlite_offsets(session, company_id, timezone)
    return rollup_rows(dialect_of(session), company_id, timezone, offsets)


async def rebuild_sales_rollup(session: AsyncSession, company_id: int) -> None:
    """Recomputes the company's rollup from its orders: one DELETE, one INSERT ... SELECT.

    For the seeder after its bulk load, a time-zone change, and repairs. Reads the
    company's time zone inside the transaction (after the caller's pending changes).
    """
    await session.flush()
    # FOR UPDATE (PostgreSQL): every other rollup writer waits (see the module doc).
    timezone = (
        await session.execute(
            select(Company.timezone).where(Company.id == company_id).with_for_update()
        )
    ).scalar_one()
    await session.execute(
        delete(DailySales)
        .where(DailySales.company_id == company_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        insert(DailySales).from_select(
            ROLLUP_COLUMNS, await rollup_definition(session, company_id, timezone)
        )
    )


# ----------------------------------------------------------------------
# Orders invoiced or cancelled
# ----------------------------------------------------------------------


async def add_order(session: AsyncSession, order: Order, sign: int) -> None:
    """Adds (`sign` = 1) or removes (-1) one invoiced order: one upsert.

    Day from the company's time zone as committed now (PostgreSQL: the company row is
    read, and KEY SHARE-locked, by the same statement; SQLite: read first, under the
    write lock); rep from the order's customer and location rows, which the caller has
    just updated (so it holds their locks).
    """
    dialect = dialect_of(session)
    if dialect == "postgresql":
        day: Any = local_day(
            dialect, literal(order.placed_at, Order.placed_at.type), Company.timezone
        )
    else:
        zone = ZoneInfo(await committed_timezone(session, order.company_id))
        day = literal(order.placed_at.astimezone(zone).date(), DailySales.day.type)
    customer_rep = (
        select(Customer.sales_rep_id).where(Customer.id == order.customer_id).scalar_subquery()
    )
    reps: list[Any] = [customer_rep, literal(NO_SALES_REP)]
    if order.location_id is not None:
        location_rep = (
            select(Location.sales_rep_id).where(Location.id == order.location_id).scalar_subquery()
        )
        reps.insert(0, location_rep)
    rows = _company_row(
        order.company_id,
        Company.id,
        day,
        func.coalesce(*reps),
        literal(sign),
        literal(sign * order.total_cents, DailySales.total_cents.type),
    )
    await session.execute(_upsert(dialect, rows))


# ----------------------------------------------------------------------
# Effective reps changing
# ----------------------------------------------------------------------


async def _move(
    session: AsyncSession,
    company_id: int,
    where: list[ColumnElement[bool]],
    new_rep: SQLColumnExpression[Any],
    *,
    old_rep: SQLColumnExpression[Any] | None = None,
) -> None:
    """Moves the invoiced orders matching `where` from their effective rep as stored
    now to `new_rep` (an expression over Customer and Location): one statement.
    `old_rep` (over Customer alone) skips the join to locations when `where` implies it.

    The orders are grouped by (day, old rep, new rep) once; the rollup gets minus
    each group under the old rep and plus it under the new one, summed per key and
    written in key order (so concurrent moves lock rollup rows in the same order).
    """
    timezone = await committed_timezone(session, company_id)
    dialect = dialect_of(session)
    old = effective_rep() if old_rep is None else func.coalesce(old_rep, NO_SALES_REP)
    new = func.coalesce(new_rep, NO_SALES_REP)
    keyed = _order_keys(
        dialect,
        company_id,
        timezone,
        await _sqlite_offsets(session, company_id, timezone),
        [old != new, *where],
        locations=old_rep is None,
        old=old,
        new=new,
    )
    moved = (
        select(
            keyed.c.day,
            keyed.c.old.label("old_rep"),
            keyed.c.new.label("new_rep"),
            func.count().label("n"),
            func.sum(keyed.c.total_cents).label("t"),
        )
        .group_by(keyed.c.day, keyed.c.old, keyed.c.new)
        .cte("moved")
        .prefix_with("MATERIALIZED")
    )
    deltas = union_all(
        select(moved.c.day, moved.c.old_rep.label("rep"), -moved.c.n, -moved.c.t),
        select(moved.c.day, moved.c.new_rep, moved.c.n, moved.c.t),
    ).subquery("deltas")
    n, t = deltas.c[2], deltas.c[3]
    rows = (
        select(
            literal(company_id),
            deltas.c.day,
            deltas.c.rep,
            func.sum(n),
            func.sum(t),
        )
        .where(true())
        .group_by(deltas.c.day, deltas.c.rep)
        .order_by(deltas.c.day, deltas.c.rep)
    )
    await session.execute(_upsert(dialect, rows))


async def move_customers(
    session: AsyncSession,
    company_id: int,
    orders_of: ColumnElement[bool],
    new_rep: int | None,
    *,
    locations_of: ColumnElement[bool] | None = None,
) -> None:
    """The customers matched by `orders_of` (a clause on Order.customer_id) get rep
    `new_rep`. Call before writing the rep, with the customer rows locked.

    Their orders at locations overriding the rep keep it: those are left out by one
    NOT IN over the overriding locations (of the company, an index scan, or of the
    customers matched by `locations_of`, a clause on Location.customer_id, for a
    few), so the orders need no join to locations (which for 10,000 customers cost a
    scan of them all).
    """
    overriding = select(Location.id).where(
        Location.company_id == company_id,
        Location.sales_rep_id.is_not(None),
        *([] if locations_of is None else [locations_of]),
    )
    await _move(
        session,
        company_id,
        [orders_of, or_(Order.location_id.is_(None), Order.location_id.not_in(overriding))],
        literal(new_rep, Customer.sales_rep_id.type),
        old_rep=Customer.sales_rep_id,
    )


async def move_locations(
    session: AsyncSession, company_id: int, orders_at: ColumnElement[bool], new_rep: int | None
) -> None:
    """The locations matched by `orders_at` (a clause on Order.location_id) get override
    `new_rep` (None: they inherit their customer's rep). Call before writing it, rows
    locked (see `lock_locations`)."""
    override = literal(new_rep, Location.sales_rep_id.type)
    await _move(
        session,
        company_id,
        [orders_at],
        func.coalesce(override, Customer.sales_rep_id),
    )


async def move_deleted_location(session: AsyncSession, location: Location) -> None:
    """`location` is about to be deleted: its orders lose it (the foreign key sets NULL)
    and fall back to their customer's rep."""
    await _move(
        session,
        location.company_id,
        [Order.location_id == location.id],
        Customer.sales_rep_id,
    )


async def lock_customers(session: AsyncSession, customers: ColumnElement[bool]) -> None:
    """Locks the customer rows (PostgreSQL) before their rep contributions move."""
    if dialect_of(session) == "postgresql":
        await session.execute(
            select(Customer.id).where(customers).order_by(Customer.id).with_for_update()
        )


async def lock_locations(session: AsyncSession, locations: ColumnElement[bool]) -> None:
    """Locks the location rows and their customers' (PostgreSQL), customers first as an
    invoicing does: a customer's rep change reads the locations' overrides, and a
    location's reads its customer's rep."""
    if dialect_of(session) == "postgresql":
        await lock_customers(
            session, Customer.id.in_(select(Location.customer_id).where(locations))
        )
        await session.execute(
            select(Location.id).where(locations).order_by(Location.id).with_for_update()
        )


async def customer_rep_changes(
    session: AsyncSession, customer: Customer, new_rep: int | None
) -> None:
    """`customer`'s rep is about to become `new_rep` (single-customer mutations).

    Call before setting the attribute (the move reads the rep still stored). If the
    row changed since it was loaded, the ORM's version check fails the flush and the
    whole transaction, move included, rolls back.
    """
    if customer.sales_rep_id == new_rep:
        return
    await lock_customers(session, Customer.id == customer.id)
    await move_customers(
        session,
        customer.company_id,
        Order.customer_id == customer.id,
        new_rep,
        locations_of=Location.customer_id == customer.id,
    )


async def location_rep_changes(
    session: AsyncSession, location: Location, new_rep: int | None
) -> None:
    """`location`'s override is about to become `new_rep` (None: inherit); see above."""
    if location.sales_rep_id == new_rep:
        return
    await lock_locations(session, Location.id == location.id)
    await move_locations(session, location.company_id, Order.location_id == location.id, new_rep)


async def location_deleting(session: AsyncSession, location: Location) -> None:
    """`location` is about to be deleted: its orders fall back to the customer's rep."""
    if location.sales_rep_id is None:
        return
    await lock_locations(session, Location.id == location.id)
    await move_deleted_location(session, location)
