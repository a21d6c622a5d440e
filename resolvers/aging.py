"""The aging report: each customer's balance spread over how long it has been due.

It reconciles with the ledger (resolvers/ledger.py): for every customer row

    current + days1To30 + days31To60 + days61To90 + over90 − unappliedCredit
        = total = the customer's currentBalance

because the balance identity says currentBalance = Σ balance due of invoiced orders
+ Σ positive ADJUSTMENTs − unapplied credit. So the buckets hold the open orders (by
due date) and the charges on account (positive adjustments, aged from their
occurredAt as if due then), and the credit on account is its own column. Customers
whose every part is zero owe nothing and have no row; the totals row is the sum of the
rows, so its total is the sum of every customer's balance.

It ages today's open items (`asOf` moves the buckets, not the ledger). One statement:
a GROUP BY customer over a UNION ALL of three small partial covering indexes (open
orders, ix_orders_open; charges, ix_transactions_charges; customers holding credit,
ix_customers_unapplied_credit). Each part repeats its index's condition with literals,
as both databases require to use a partial index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from db.enums import INVOICED_ORDER_STATUSES
from db.models import Customer, Order, Transaction
from resolvers.errors import BadUserInput, UserInputError
from resolvers.ids import parse_ids
from resolvers.localtime import company_today, day_start
from resolvers.permissions import Permission

if TYPE_CHECKING:
    from resolvers.context import Context

AGING_BUCKETS = ("current", "days_1_to_30", "days_31_to_60", "days_61_to_90", "over_90")
# Days past due where each late bucket starts: 1–30, 31–60, 61–90, over 90.
BUCKET_EDGES = (0, 30, 60, 90)

# An order with a balance due: ix_orders_open (migration 0005) holds exactly these, with
# every column the report reads. Literal 0s, not bound parameters (see the module).
OPEN_ORDER = Order.balance_due_cents > literal_column("0")
# A charge on account: ix_transactions_charges (migration 0007).
CHARGE = and_(
    Transaction.kind == literal_column("'ADJUSTMENT'"),
    Transaction.amount_cents > literal_column("0"),
)
# A customer holding credit: ix_customers_unapplied_credit (migration 0007).
HOLDS_CREDIT = Customer.unapplied_credit_cents > literal_column("0")


@dataclass(frozen=True)
class AgingRow:
    customer_id: int | None
    current_cents: int
    days_1_to_30_cents: int
    days_31_to_60_cents: int
    days_61_to_90_cents: int
    over_90_cents: int
    unapplied_credit_cents: int = 0
    # The customer's row, read with the report when asked for (`with_customers`).
    customer: Customer | None = None

    @property
    def total_cents(self) -> int:
        return (
            self.current_cents
            + self.days_1_to_30_cents
            + self.days_31_to_60_cents
            + self.days_61_to_90_cents
            + self.over_90_cents
            - self.unapplied_credit_cents
        )


@dataclass(frozen=True)
class AgingReport:
    as_of: date
    rows: list[AgingRow]
    totals: AgingRow


def _buckets(is_late_by: Any, due_is_unknown: Any = None) -> list[ColumnElement[bool]]:
    """The five bucket conditions, from `is_late_by(days)`: "due before as_of − days"."""
    not_due = ~is_late_by(0) if due_is_unknown is None else or_(due_is_unknown, ~is_late_by(0))
    late = [is_late_by(days) for days in BUCKET_EDGES]
    return [
        not_due,
        and_(late[0], ~late[1]),
        and_(late[1], ~late[2]),
        and_(late[2], ~late[3]),
        late[3],
    ]


def order_buckets(as_of: date) -> list[ColumnElement[bool]]:
    """Which bucket an open order falls in, by days past its due date on `as_of`.

    Not yet due (or no due date): current; then 1–30, 31–60, 61–90 and over 90 days late.
    """
    due = Order.due_date
    return _buckets(lambda days: due < as_of - timedelta(days=days), due.is_(None))


def charge_buckets(as_of: date, timezone: str) -> list[ColumnElement[bool]]:
    """The same for a charge, due on the day (company time zone) it occurred: instants
    compared with the instants those days start, exact on both databases."""
    at = Transaction.occurred_at
    return _buckets(lambda days: at < day_start(as_of - timedelta(days=days), timezone))


def _sums(buckets: Sequence[ColumnElement[bool]], amount: Any) -> list[Any]:
    return [
        case((bucket, amount), else_=literal(0)).label(name)
        for bucket, name in zip(buckets, AGING_BUCKETS, strict=True)
    ]


def _zero_buckets() -> list[Any]:
    return [literal(0).label(name) for name in AGING_BUCKETS]


def aging_parts(as_of: date, timezone: str, customer_id: int | None = None) -> Any:
    """Per open item a row (customer_id, five bucket amounts, unapplied): the union
    (of one customer's items with `customer_id`)."""
    orders = select(
        Order.customer_id.label("customer_id"),
        *_sums(order_buckets(as_of), Order.balance_due_cents),
        literal(0).label("unapplied"),
    ).where(Order.status.in_(INVOICED_ORDER_STATUSES), OPEN_ORDER)
    charges = select(
        Transaction.customer_id.label("customer_id"),
        *_sums(charge_buckets(as_of, timezone), Transaction.amount_cents),
        literal(0).label("unapplied"),
    ).where(CHARGE)
    credits = select(
        Customer.id.label("customer_id"),
        *_zero_buckets(),
        Customer.unapplied_credit_cents.label("unapplied"),
    ).where(HOLDS_CREDIT)
    if customer_id is not None:
        orders = orders.where(Order.customer_id == customer_id)
        charges = charges.where(Transaction.customer_id == customer_id)
        credits = credits.where(Customer.id == customer_id)
    return union_all(orders, charges, credits)


def _rep_ids(sales_rep_ids: Sequence[str] | None) -> list[int] | None:
    if sales_rep_ids is None:
        return None
    try:
        return parse_ids(sales_rep_ids, "Staff", ("salesRepIds",))
    except UserInputError as error:
        raise BadUserInput(str(error), code="INVALID_ID") from error


def aging_statement(
    as_of: date,
    timezone: str,
    *,
    rep_ids: list[int] | None = None,
    customer_id: int | None = None,
    with_customers: bool = False,
) -> Select[Any]:
    """Rows (customer_id, five buckets, unapplied[, Customer]) largest total first."""
    parts = aging_parts(as_of, timezone, customer_id).subquery("parts")
    sums = [func.sum(parts.c[name]).label(name) for name in (*AGING_BUCKETS, "unapplied")]
    total = (
        func.sum(sum((parts.c[name] for name in AGING_BUCKETS), literal(0)) - parts.c.unapplied)
    ).label("total")
    grouped: Select[Any] = select(parts.c.customer_id, *sums, total)
    if rep_ids is not None:
        grouped = grouped.join(Customer, Customer.id == parts.c.customer_id).where(
            Customer.sales_rep_id.in_(rep_ids)
        )
    aging = grouped.group_by(parts.c.customer_id).subquery("aging")
    columns = [aging.c.customer_id, *(aging.c[n] for n in (*AGING_BUCKETS, "unapplied"))]
    statement = select(*columns).order_by(aging.c.total.desc(), aging.c.customer_id)
    if with_customers:
        statement = statement.add_columns(Customer).join(
            Customer, Customer.id == aging.c.customer_id
        )
    return statement


def _row(row: Any, with_customers: bool) -> AgingRow:
    return AgingRow(
        row[0],
        int(row[1]),
        int(row[2]),
        int(row[3]),
        int(row[4]),
        int(row[5]),
        int(row[6]),
        row[7] if with_customers else None,
    )


def totals_of(rows: Sequence[AgingRow]) -> AgingRow:
    return AgingRow(
        None,
        sum(row.current_cents for row in rows),
        sum(row.days_1_to_30_cents for row in rows),
        sum(row.days_31_to_60_cents for row in rows),
        sum(row.days_61_to_90_cents for row in rows),
        sum(row.over_90_cents for row in rows),
        sum(row.unapplied_credit_cents for row in rows),
    )


async def aging_report(
    context: Context,
    as_of: date | None,
    sales_rep_ids: Sequence[str] | None,
    *,
    with_customers: bool = False,
) -> AgingReport:
    """The company's aging as of `asOf` (default today in the company's time zone).

    `salesRepIds` keeps the customers whose own sales rep is one of them.
    `with_customers` reads each row's customer in the same statement.
    """
    context.viewer.require(Permission.VIEW_REPORTS)
    as_of = as_of or company_today(context.viewer)
    statement = aging_statement(
        as_of,
        context.viewer.company_timezone,
        rep_ids=_rep_ids(sales_rep_ids),
        with_customers=with_customers,
    )
    rows = [_row(row, with_customers) for row in (await context.session.execute(statement)).all()]
    return AgingReport(as_of=as_of, rows=rows, totals=totals_of(rows))


async def customer_aging(context: Context, customer_id: int, as_of: date) -> AgingRow:
    """One customer's aging row (all zeros when it owes nothing and holds no credit):
    the statement's aging summary. Whoever sees the customer may read it."""
    statement = aging_statement(as_of, context.viewer.company_timezone, customer_id=customer_id)
    row = (await context.session.execute(statement)).first()
    return _row(row, False) if row is not None else AgingRow(customer_id, 0, 0, 0, 0, 0, 0)
