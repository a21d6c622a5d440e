"""Customer statements: the customer's ledger over a period, with a running balance.

Every event that moves the balance is a line: an order invoiced (INVOICE, + total, when
it was submitted), an invoiced order cancelled (CANCELLATION, − total), and each
transaction (PAYMENT and CREDIT −, REFUND +, ADJUSTMENT by its sign). The opening
balance is the sum of every event before `from`; each line's balance is the running
sum; the closing balance is opening + Σ lines. Summed over all time these are exactly
the terms of Customer.balance_cents, so with `to` = today the closing balance is the
current balance. Days are the company's time zone's; lines come in time order (ties:
invoices, then cancellations, then transactions, each by id).

One statement reads the lines (a UNION ALL of orders and transactions of one customer,
by index), one the opening balance; GraphQL caps the lines (settings), the CSV export
streams any number.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, null, or_, select, union_all

from db.enums import INVOICED_ORDER_STATUSES, OrderStatus, TransactionKind
from db.models import Customer, Order, Transaction
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.localtime import company_today, day_start

if TYPE_CHECKING:
    from resolvers.context import Context

# Statement periods longer than this are certainly mistakes (and unbounded work).
MAX_PERIOD_DAYS = 366 * 20


class StatementLineKind(enum.StrEnum):
    INVOICE = "INVOICE"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    CREDIT = "CREDIT"
    ADJUSTMENT = "ADJUSTMENT"
    CANCELLATION = "CANCELLATION"


KIND_DESCRIPTIONS = {
    StatementLineKind.INVOICE: "An order invoiced (submitted): its total is owed.",
    StatementLineKind.PAYMENT: "A payment received.",
    StatementLineKind.REFUND: "Credit paid back to the customer.",
    StatementLineKind.CREDIT: "A credit note.",
    StatementLineKind.ADJUSTMENT: "A charge (positive) or a write-off (negative).",
    StatementLineKind.CANCELLATION: "An invoiced order cancelled: its total is no longer owed.",
}
METHOD_WORDS = {
    "CASH": "cash",
    "CHECK": "check",
    "CARD": "card",
    "ACH": "ACH",
    "WIRE": "wire transfer",
    "OTHER": "other means",
}
# Ties at one instant: invoices first, then cancellations, then transactions.
SOURCE_ORDER = {"INVOICE": 0, "CANCELLATION": 1, "TRANSACTION": 2}


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    date: date
    kind: StatementLineKind
    reference: str | None
    description: str
    amount_cents: int
    balance_cents: int


@dataclass(frozen=True)
class Statement:
    customer: Customer
    from_date: date
    to_date: date
    opening_cents: int
    lines: list[StatementLine]

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + sum(line.amount_cents for line in self.lines)


def _events(customer_id: int) -> Any:
    """(source, at, id, kind, number, po, reference, method, note, amount) per event."""
    was_invoiced = or_(
        Order.status.in_(INVOICED_ORDER_STATUSES),
        and_(Order.status == OrderStatus.CANCELLED, Order.submitted_at.is_not(None)),
    )
    invoices = select(
        literal("INVOICE").label("source"),
        func.coalesce(Order.submitted_at, Order.placed_at).label("at"),
        Order.id.label("id"),
        literal(StatementLineKind.INVOICE.value).label("kind"),
        Order.number.label("number"),
        Order.po_number.label("po"),
        Order.due_date.label("due"),
        null().label("reference"),
        null().label("method"),
        null().label("note"),
        Order.total_cents.label("amount"),
    ).where(Order.customer_id == customer_id, was_invoiced)
    cancellations = select(
        literal("CANCELLATION").label("source"),
        Order.cancelled_at.label("at"),
        Order.id,
        literal(StatementLineKind.CANCELLATION.value),
        Order.number,
        Order.po_number,
        null(),
        null(),
        null(),
        null(),
        -Order.total_cents,
    ).where(
        Order.customer_id == customer_id,
        Order.status == OrderStatus.CANCELLED,
        Order.submitted_at.is_not(None),
    )
    signed = case(
        (
            Transaction.kind.in_([TransactionKind.REFUND, TransactionKind.ADJUSTMENT]),
            Transaction.amount_cents,
        ),
        else_=-Transaction.amount_cents,
    )
    transactions = select(
        literal("TRANSACTION"),
        Transaction.occurred_at,
        Transaction.id,
        Transaction.kind,
        null(),
        null(),
        null(),
        Transaction.reference,
        Transaction.method,
        Transaction.note,
        signed,
    ).where(Transaction.customer_id == customer_id)
    return union_all(invoices, cancellations, transactions).subquery("events")


def lines_statement(customer_id: int, start: datetime, end: datetime) -> Select[Any]:
    """The events in [start, end), in statement order."""
    events = _events(customer_id)
    source_rank = case(SOURCE_ORDER, value=events.c.source, else_=3)
    return (
        select(events)
        .where(events.c.at >= start, events.c.at < end)
        .order_by(events.c.at, source_rank, events.c.id)
    )


def opening_statement(customer_id: int, start: datetime) -> Select[Any]:
    events = _events(customer_id)
    return select(func.coalesce(func.sum(events.c.amount), 0)).where(events.c.at < start)


def _description(row: Any) -> str:
    kind = StatementLineKind(row.kind)
    if kind in (StatementLineKind.INVOICE, StatementLineKind.CANCELLATION):
        text = (
            f"Order {row.number}"
            if kind == StatementLineKind.INVOICE
            else (f"Order {row.number} cancelled")
        )
        if row.po:
            text += f", PO {row.po}"
        if kind == StatementLineKind.INVOICE and row.due:
            due = row.due if isinstance(row.due, date) else date.fromisoformat(row.due)
            text += f", due {due.isoformat()}"
        return text
    method = METHOD_WORDS.get(str(getattr(row.method, "value", row.method)))
    text = {
        StatementLineKind.PAYMENT: "Payment",
        StatementLineKind.REFUND: "Refund",
        StatementLineKind.CREDIT: "Credit",
        StatementLineKind.ADJUSTMENT: "Charge" if row.amount > 0 else "Write-off",
    }[kind]
    if method:
        text += f" by {method}"
    return f"{text}: {row.note}" if row.note else text


def to_line(row: Any, balance_before: int, timezone: str) -> StatementLine:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=ZoneInfo("UTC"))
    kind = StatementLineKind(row.kind)
    reference = row.reference
    if kind in (StatementLineKind.INVOICE, StatementLineKind.CANCELLATION):
        reference = str(row.number)
    amount = int(row.amount)
    return StatementLine(
        at=at,
        date=at.astimezone(ZoneInfo(timezone)).date(),
        kind=kind,
        reference=reference,
        description=_description(row),
        amount_cents=amount,
        balance_cents=balance_before + amount,
    )


@dataclass(frozen=True)
class Period:
    customer: Customer
    from_date: date
    to_date: date
    start: datetime
    end: datetime


async def statement_period(
    context: Context, customer_id: str, from_date: date | None, to_date: date | None
) -> Period | None:
    """The customer (None: not found or not visible) and the period's instants.

    `to` defaults to today, `from` to the first day of `to`'s month (company zone).
    """
    decoded = decode_id(customer_id)
    if decoded is None or decoded[0] != "Customer":
        raise BadUserInput(f"Not a valid Customer id: {customer_id!r}.", code="INVALID_ID")
    to_date = to_date or company_today(context.viewer)
    from_date = from_date or to_date.replace(day=1)
    if from_date > to_date:
        raise BadUserInput("`from` must not be after `to`.")
    if (to_date - from_date).days > MAX_PERIOD_DAYS:
        raise BadUserInput(f"A statement covers at most {MAX_PERIOD_DAYS} days.")
    customer = await context.session.get(Customer, decoded[1])
    if customer is None:
        return None
    timezone = context.viewer.company_timezone
    return Period(
        customer,
        from_date,
        to_date,
        day_start(from_date, timezone),
        day_start(to_date + timedelta(days=1), timezone),
    )


async def opening_balance(context: Context, period: Period) -> int:
    return int(await context.session.scalar(opening_statement(period.customer.id, period.start)))


async def customer_statement(
    context: Context,
    customer_id: str,
    from_date: date | None,
    to_date: date | None,
    *,
    max_lines: int,
) -> Statement | None:
    """customerStatement: at most `max_lines` lines (more is a BAD_USER_INPUT error,
    found with one row more than the cap, so a huge period costs no more than that)."""
    period = await statement_period(context, customer_id, from_date, to_date)
    if period is None:
        return None
    opening = await opening_balance(context, period)
    statement = lines_statement(period.customer.id, period.start, period.end)
    rows = (await context.session.execute(statement.limit(max_lines + 1))).all()
    if len(rows) > max_lines:
        raise BadUserInput(
            f"This period has more than {max_lines} statement lines; choose a shorter one."
        )
    lines: list[StatementLine] = []
    balance = opening
    timezone = context.viewer.company_timezone
    for row in rows:
        line = to_line(row, balance, timezone)
        balance = line.balance_cents
        lines.append(line)
    return Statement(period.customer, period.from_date, period.to_date, opening, lines)


async def running_lines(
    rows: AsyncIterator[Any], opening_cents: int, timezone: str
) -> AsyncIterator[StatementLine]:
    """Lines with their running balance from streamed event rows (the CSV export)."""
    balance = opening_cents
    async for row in rows:
        line = to_line(row, balance, timezone)
        balance = line.balance_cents
        yield line
