"""Sales and transactions reports and the customer summary, computed in SQL.

The aging report is resolvers/aging.py.

Every figure is a GROUP BY in the database (never rows loaded into Python), so the
reports stay fast over millions of orders and transactions. Dates are calendar days
in the company's time zone (`Company.timezone`): `from`/`to` include both days.

Months: SQLite has no time zones, so instead of a dialect function a month is found
by comparing the UTC instant with the UTC instants at which each month of the range
starts in the company's zone (a CASE over a few dozen bound values). That is exact on
both databases, daylight saving included, and uses the (company_id, placed_at) index.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal,
    select,
)

from db.enums import (
    INVOICED_ORDER_STATUSES,
    BillingStatus,
    CustomerStatus,
    Engagement,
    PaymentMethod,
    TransactionKind,
)
from db.models import NO_SALES_REP, Customer, DailySales, Location, Order, Transaction
from resolvers.customers import average_order_cents, engagement_cutoff
from resolvers.errors import BadUserInput
from resolvers.localtime import company_today, day_start, local_date
from resolvers.permissions import Permission

if TYPE_CHECKING:
    from resolvers.context import Context

NEW_CUSTOMER_MONTHS = 12
# A bound on the CASE that finds months (100 years).
MAX_MONTHS = 1200


class SalesReportGroup(enum.StrEnum):
    CUSTOMER = "CUSTOMER"
    SALES_REP = "SALES_REP"
    LOCATION = "LOCATION"
    MONTH = "MONTH"


class TransactionsReportGroup(enum.StrEnum):
    KIND = "KIND"
    METHOD = "METHOD"
    MONTH = "MONTH"


# ----------------------------------------------------------------------
# Months in the company's time zone
# ----------------------------------------------------------------------


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from the one holding `first` to the one holding `last`."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    if len(months) > MAX_MONTHS:
        raise BadUserInput(f"A report by month covers at most {MAX_MONTHS} months.")
    return months


def _month_start(month: date, timezone: str | None) -> date | datetime:
    # A column of local dates compares with the date; one of UTC instants with the
    # instant the month starts in the zone.
    return month if timezone is None else day_start(month, timezone)


def month_index(
    column: Any, months: Sequence[date], timezone: str | None = None
) -> ColumnElement[int]:
    """0 for the first month of `months`, 1 for the next...: the row's month, in the zone
    (`timezone` None: `column` holds local dates already)."""
    return case(
        *(
            (column < _month_start(next_month(month), timezone), literal(index))
            for index, month in enumerate(months)
        ),
        else_=literal(len(months)),
    )


def month_window(column: Any, months: Sequence[date], timezone: str | None = None) -> list[Any]:
    """Rows within the months found (rows added since the months were looked up fall out)."""
    return [
        column >= _month_start(months[0], timezone),
        column < _month_start(next_month(months[-1]), timezone),
    ]


def check_range(from_date: date | None, to_date: date | None) -> None:
    if from_date is not None and to_date is not None and from_date > to_date:
        raise BadUserInput("`from` must not be after `to`.")


def time_window(column: Any, from_date: date | None, to_date: date | None, timezone: str) -> list:
    clauses = []
    if from_date is not None:
        clauses.append(column >= day_start(from_date, timezone))
    if to_date is not None:
        clauses.append(column < day_start(to_date + timedelta(days=1), timezone))
    return clauses


async def months_of(
    context: Context,
    column: Any,
    where: Sequence[Any],
    from_date: date | None,
    to_date: date | None,
) -> list[date]:
    """The months a report spans; open ends are closed by the data (one min/max query)."""
    timezone = context.viewer.company_timezone
    if from_date is None or to_date is None:
        first, last = (
            await context.session.execute(select(func.min(column), func.max(column)).where(*where))
        ).one()
        if first is None:
            return []
        from_date = from_date or local_date(_aware(first), timezone)
        to_date = to_date or local_date(_aware(last), timezone)
    return months_between(from_date, to_date)


def _aware(value: datetime) -> datetime:
    # min()/max() over a SQLite text column come back naive UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ----------------------------------------------------------------------
# Sales
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class SalesRow:
    customer_id: int | None
    sales_rep_id: int | None
    location_id: int | None
    period: date | None
    order_count: int
    total_cents: int

    @property
    def average_cents(self) -> int | None:
        return average_order_cents(self.total_cents, self.order_count)


@dataclass(frozen=True)
class SalesReport:
    rows: list[SalesRow]
    totals: SalesRow


async def sales_report(
    context: Context,
    from_date: date | None,
    to_date: date | None,
    group_by: Sequence[SalesReportGroup],
) -> SalesReport:
    """Invoiced orders placed in [from, to], grouped.

    SALES_REP is the rep of the order's location if it overrides one, else the
    customer's rep, as assigned when the report runs (not when the order was placed).

    Groupings within {SALES_REP, MONTH} read the sales rollup (db.models.DailySales:
    a few rows per day instead of every order); CUSTOMER and LOCATION, and a rep
    limited to their own book (which the rollup can't tell apart), scan the orders.
    """
    context.viewer.require(Permission.VIEW_REPORTS)
    check_range(from_date, to_date)
    groups = list(dict.fromkeys(group_by))
    if set(groups) <= ROLLUP_GROUPS and context.scope.book_of_staff_id is None:
        return await _sales_from_rollup(context, from_date, to_date, groups)
    await context.session.plan_with_values()
    timezone = context.viewer.company_timezone
    where = [
        Order.status.in_(INVOICED_ORDER_STATUSES),
        *time_window(Order.placed_at, from_date, to_date, timezone),
    ]
    months: list[date] = []
    columns: dict[str, Any] = {}
    if SalesReportGroup.MONTH in groups:
        months = await months_of(context, Order.placed_at, where, from_date, to_date)
        if not months:
            return SalesReport(rows=[], totals=SalesRow(None, None, None, None, 0, 0))
        where += month_window(Order.placed_at, months, timezone)
        columns["period"] = month_index(Order.placed_at, months, timezone)
    inner = select(Order.total_cents.label("total_cents")).where(*where)
    if SalesReportGroup.CUSTOMER in groups:
        columns["customer_id"] = Order.customer_id
    if SalesReportGroup.LOCATION in groups:
        columns["location_id"] = Order.location_id
    if SalesReportGroup.SALES_REP in groups:
        inner = inner.join(Customer, Customer.id == Order.customer_id).outerjoin(
            Location, Location.id == Order.location_id
        )
        columns["sales_rep_id"] = func.coalesce(Location.sales_rep_id, Customer.sales_rep_id)
    inner_query = inner.add_columns(*(c.label(name) for name, c in columns.items())).subquery()
    keys = [inner_query.c[name] for name in columns]
    count = func.count().label("order_count")
    total = func.coalesce(func.sum(inner_query.c.total_cents), 0).label("total_cents")
    statement = (
        select(*keys, count, total)
        .group_by(*keys)
        .order_by(*_period_first(inner_query, columns), total.desc(), *_nulls_low(keys))
    )
    if not keys:
        statement = select(count, total)
    return _sales_report(await context.session.execute(statement), months)


# Groupings the rollup answers.
ROLLUP_GROUPS = frozenset({SalesReportGroup.SALES_REP, SalesReportGroup.MONTH})


async def _sales_from_rollup(
    context: Context,
    from_date: date | None,
    to_date: date | None,
    groups: list[SalesReportGroup],
) -> SalesReport:
    """sales_report from the rollup: the same rows, sums and order as the orders scan.

    Local days are the rollup's key, so [from, to] and months are plain date ranges.
    Rows left at 0 orders by cancellations count as absent.
    """
    where: list[Any] = [DailySales.order_count != 0]
    if from_date is not None:
        where.append(DailySales.day >= from_date)
    if to_date is not None:
        where.append(DailySales.day <= to_date)
    months: list[date] = []
    columns: dict[str, Any] = {}
    if SalesReportGroup.MONTH in groups:
        first, last = from_date, to_date
        if first is None or last is None:
            low, high = (
                await context.session.execute(
                    select(func.min(DailySales.day), func.max(DailySales.day)).where(*where)
                )
            ).one()
            if low is None:
                return SalesReport(rows=[], totals=SalesRow(None, None, None, None, 0, 0))
            first, last = first or _day(low), last or _day(high)
        months = months_between(first, last)
        where += month_window(DailySales.day, months)
        columns["period"] = month_index(DailySales.day, months)
    if SalesReportGroup.SALES_REP in groups:
        columns["sales_rep_id"] = func.nullif(DailySales.sales_rep_id, NO_SALES_REP)
    inner = (
        select(
            DailySales.order_count.label("orders"),
            DailySales.total_cents.label("total_cents"),
            *(c.label(name) for name, c in columns.items()),
        )
        .where(*where)
        .subquery()
    )
    keys = [inner.c[name] for name in columns]
    count = func.coalesce(func.sum(inner.c.orders), 0).label("order_count")
    total = func.coalesce(func.sum(inner.c.total_cents), 0).label("total_cents")
    statement = (
        select(*keys, count, total)
        .group_by(*keys)
        .order_by(*_period_first(inner, columns), total.desc(), *_nulls_low(keys))
    )
    if not keys:
        statement = select(count, total)
    return _sales_report(await context.session.execute(statement), months)


def _day(value: date | str) -> date:
    # min()/max() over a SQLite date column come back as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _sales_report(result: Any, months: list[date]) -> SalesReport:
    rows = [
        SalesRow(
            customer_id=row.get("customer_id"),
            sales_rep_id=row.get("sales_rep_id"),
            location_id=row.get("location_id"),
            period=months[row["period"]] if "period" in row else None,
            order_count=int(row["order_count"]),
            total_cents=int(row["total_cents"]),
        )
        for row in result.mappings().all()
        if row["order_count"]
    ]
    totals = SalesRow(
        None,
        None,
        None,
        None,
        sum(r.order_count for r in rows),
        sum(r.total_cents for r in rows),
    )
    return SalesReport(rows=rows, totals=totals)


def _period_first(inner: Any, columns: dict[str, Any]) -> list[Any]:
    return [inner.c.period] if "period" in columns else []


def _nulls_low(keys: Sequence[Any]) -> list[Any]:
    # Both databases sort the "no rep"/"no location"/"no method" group first.
    return [order for key in keys for order in (key.is_(None).desc(), key)]


# ----------------------------------------------------------------------
# Transactions
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionsRow:
    kind: TransactionKind | None
    method: PaymentMethod | None
    period: date | None
    count: int
    # Money in: payments, credits, write-offs (negative adjustments); money out: refunds
    # and charges (positive adjustments). What lowers the balance is in.
    money_in_cents: int
    money_out_cents: int

    @property
    def total_cents(self) -> int:
        """Money in minus money out."""
        return self.money_in_cents - self.money_out_cents


# A transaction's amount signed as it moves the customer's balance, negated: positive
# for what comes in (payment, credit, write-off), negative for what goes out (refund,
# charge).
SIGNED_AMOUNT = case(
    (
        Transaction.kind.in_([TransactionKind.PAYMENT, TransactionKind.CREDIT]),
        Transaction.amount_cents,
    ),
    else_=-Transaction.amount_cents,
)


async def transactions_report(
    context: Context,
    from_date: date | None,
    to_date: date | None,
    group_by: Sequence[TransactionsReportGroup],
) -> list[TransactionsRow]:
    """Transactions that occurred in [from, to]: count, money in and money out per group
    (their difference is the group's total)."""
    context.viewer.require(Permission.VIEW_REPORTS)
    check_range(from_date, to_date)
    await context.session.plan_with_values()
    groups = list(dict.fromkeys(group_by))
    timezone = context.viewer.company_timezone
    where = time_window(Transaction.occurred_at, from_date, to_date, timezone)
    columns: dict[str, Any] = {}
    months: list[date] = []
    if TransactionsReportGroup.KIND in groups:
        columns["kind"] = Transaction.kind
    if TransactionsReportGroup.METHOD in groups:
        columns["method"] = Transaction.method
    if TransactionsReportGroup.MONTH in groups:
        months = await months_of(context, Transaction.occurred_at, where, from_date, to_date)
        if not months:
            return []
        where += month_window(Transaction.occurred_at, months, timezone)
        columns["period"] = month_index(Transaction.occurred_at, months, timezone)
    inner = (
        select(
            SIGNED_AMOUNT.label("signed"),
            *(c.label(name) for name, c in columns.items()),
        )
        .where(*where)
        .subquery()
    )
    keys = [inner.c[name] for name in columns]
    count = func.count().label("count")
    money_in = func.coalesce(
        func.sum(case((inner.c.signed > 0, inner.c.signed), else_=0)), 0
    ).label("money_in")
    money_out = func.coalesce(
        func.sum(case((inner.c.signed < 0, -inner.c.signed), else_=0)), 0
    ).label("money_out")
    statement = (
        select(*keys, count, money_in, money_out)
        .group_by(*keys)
        .order_by(*_period_first(inner, columns), *_nulls_low(keys))
    )
    if not keys:
        statement = select(count, money_in, money_out)
    result = (await context.session.execute(statement)).mappings().all()
    return [
        TransactionsRow(
            kind=TransactionKind(row["kind"]) if row.get("kind") else None,
            method=PaymentMethod(row["method"]) if row.get("method") else None,
            period=months[row["period"]] if "period" in row else None,
            count=row["count"],
            money_in_cents=int(row["money_in"]),
            money_out_cents=int(row["money_out"]),
        )
        for row in result
        if row["count"]
    ]


# ----------------------------------------------------------------------
# Customer summary
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSummary:
    total: int
    by_engagement: dict[Engagement, int]
    by_status: dict[CustomerStatus, int]
    by_billing_status: dict[BillingStatus, int]
    new_by_month: list[tuple[date, int]]


async def customer_summary(context: Context) -> CustomerSummary:
    """Customer counts by engagement, status and billing status (one GROUP BY), and new
    customers per month over the last 12 months including this one (another)."""
    context.viewer.require(Permission.VIEW_REPORTS)
    timezone = context.viewer.company_timezone
    cutoff = engagement_cutoff(timezone)
    engagement = case(
        (Customer.last_order_at.is_(None), literal(Engagement.NEVER_ORDERED.value)),
        (Customer.last_order_at >= cutoff, literal(Engagement.ENGAGED.value)),
        else_=literal(Engagement.LAPSED.value),
    )
    inner = select(
        engagement.label("engagement"),
        Customer.status.label("status"),
        Customer.billing_status.label("billing_status"),
    ).subquery()
    counts = (
        await context.session.execute(
            select(
                inner.c.engagement, inner.c.status, inner.c.billing_status, func.count()
            ).group_by(inner.c.engagement, inner.c.status, inner.c.billing_status)
        )
    ).all()
    by_engagement = dict.fromkeys(Engagement, 0)
    by_status = dict.fromkeys(CustomerStatus, 0)
    by_billing = dict.fromkeys(BillingStatus, 0)
    for engaged, status, billing, count in counts:
        by_engagement[Engagement(engaged)] += count
        by_status[CustomerStatus(status)] += count
        by_billing[BillingStatus(billing)] += count

    this_month = company_today(context.viewer).replace(day=1)
    first = this_month
    for _ in range(NEW_CUSTOMER_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    months = months_between(first, this_month)
    period = month_index(Customer.created_at, months, timezone).label("period")
    created = select(period).where(Customer.created_at >= day_start(first, timezone)).subquery()
    new = dict(
        (
            await context.session.execute(
                select(created.c.period, func.count()).group_by(created.c.period)
            )
        ).all()
    )
    return CustomerSummary(
        total=sum(by_status.values()),
        by_engagement=by_engagement,
        by_status=by_status,
        by_billing_status=by_billing,
        new_by_month=[(month, new.get(index, 0)) for index, month in enumerate(months)],
    )
