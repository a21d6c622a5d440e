"""Reports: sales, transactions, aging and the customer summary (all computed in SQL).

Dates are calendar days in the company's time zone; `from` and `to` include both days.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers import aging, reports
from resolvers.loaders import load_customer, load_staff
from resolvers.locations import load_location
from resolvers.money import cents_to_decimal
from schema.enums import (
    BillingStatus,
    CustomerStatus,
    Engagement,
    PaymentMethod,
    TransactionKind,
    graphql_enum,
)
from schema.lookahead import selects
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.locations import Location

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
LocationRef = Annotated["Location", strawberry.lazy("schema.locations")]

SalesReportGroup = reports.SalesReportGroup
TransactionsReportGroup = reports.TransactionsReportGroup
graphql_enum(
    SalesReportGroup,
    description="How salesReport groups its rows (several combine).",
    value_descriptions={
        SalesReportGroup.CUSTOMER: "One row per customer.",
        SalesReportGroup.SALES_REP: (
            "One row per sales rep (the customer's rep; unassigned together)."
        ),
        SalesReportGroup.LOCATION: "One row per location (orders without one together).",
        SalesReportGroup.MONTH: "One row per month of placedAt (company time zone).",
    },
)
graphql_enum(
    TransactionsReportGroup,
    description="How transactionsReport groups its rows (several combine).",
    value_descriptions={
        TransactionsReportGroup.KIND: "One row per transaction kind.",
        TransactionsReportGroup.METHOD: "One row per payment method.",
        TransactionsReportGroup.MONTH: "One row per month of occurredAt (company time zone).",
    },
)


async def _customer(info: Info, customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    return await info.context.loaders[load_customer].load(customer_id)


@strawberry.type(description="One group of invoiced orders; fields not grouped by are null.")
class SalesReportRow:
    _row: strawberry.Private[reports.SalesRow]

    @strawberry.field(description="The customer (when grouped by CUSTOMER).")
    async def customer(self, info: Info) -> CustomerRef | None:
        return await _customer(info, self._row.customer_id)

    @strawberry.field(
        description="The location's rep if it overrides one, else the customer's rep, "
        "as assigned now. Null: no rep."
    )
    async def sales_rep(self, info: Info) -> Staff | None:
        if self._row.sales_rep_id is None:
            return None
        return await info.context.loaders[load_staff].load(self._row.sales_rep_id)

    @strawberry.field(description="Null when grouped by location: orders without a location.")
    async def location(self, info: Info) -> LocationRef | None:
        if self._row.location_id is None:
            return None
        return await info.context.loaders[load_location].load(self._row.location_id)

    @strawberry.field(description="First day of the month, when grouped by MONTH.")
    def period(self) -> date | None:
        return self._row.period

    @strawberry.field(description="How many invoiced orders the row holds.")
    def order_count(self) -> int:
        return self._row.order_count

    @strawberry.field(description='Their total, e.g. "1234.50".')
    def total(self) -> Decimal:
        return cents_to_decimal(self._row.total_cents)

    @strawberry.field(description="The total divided by orderCount, rounded half up to the cent.")
    def average_order_total(self) -> Decimal | None:
        average = self._row.average_cents
        return None if average is None else cents_to_decimal(average)


@strawberry.type(
    description="Invoiced orders totalled by the chosen groups, placedAt within the day range."
)
class SalesReport:
    rows: list[SalesReportRow] = strawberry.field(description="One row per group.")
    totals: SalesReportRow = strawberry.field(description="All the rows together.")


@strawberry.type(description="One group of transactions; fields not grouped by are null.")
class TransactionsReportRow:
    kind: TransactionKind | None = strawberry.field(description="The kind (when grouped by KIND).")
    method: PaymentMethod | None = strawberry.field(
        description="Null when grouped by METHOD: transactions without a method."
    )
    period: date | None = strawberry.field(description="First day of the month, by MONTH.")
    count: int = strawberry.field(description="How many transactions the row holds.")
    money_in: Decimal = strawberry.field(
        description="Payments, credits and write-offs (negative adjustments): what lowers "
        "customers' balances."
    )
    money_out: Decimal = strawberry.field(
        description="Refunds and charges (positive adjustments): what raises them."
    )
    total: Decimal = strawberry.field(
        description="Money in minus money out (moneyIn − moneyOut; a REFUND row is negative)."
    )

    @classmethod
    def of(cls, row: reports.TransactionsRow) -> TransactionsReportRow:
        return cls(
            kind=row.kind,
            method=row.method,
            period=row.period,
            count=row.count,
            money_in=cents_to_decimal(row.money_in_cents),
            money_out=cents_to_decimal(row.money_out_cents),
            total=cents_to_decimal(row.total_cents),
        )


@strawberry.type(
    description="Transactions totalled by the chosen groups, occurredAt within the day range."
)
class TransactionsReport:
    rows: list[TransactionsReportRow] = strawberry.field(description="One row per group.")
    totals: TransactionsReportRow = strawberry.field(description="All the rows together.")


@strawberry.type(
    description="A customer's balance by how many days past due: open orders by their due "
    "date, charges (positive adjustments) from the day they occurred; credit on account "
    "apart. current + days1To30 + days31To60 + days61To90 + over90 − unappliedCredit = "
    "total = the customer's balance.currentBalance."
)
class AgingReportRow:
    # Plain fields, no resolvers: a report has a row per customer with a balance (thousands
    # in a large book), and a plain field costs far less to resolve than a method.
    customer: CustomerRef | None = strawberry.field(description="Null on the totals row.")
    current: Decimal = strawberry.field(description="Not yet due, or no due date.")
    days_1_to_30: Decimal = strawberry.field(name="days1To30", description="1 to 30 days late.")
    days_31_to_60: Decimal = strawberry.field(name="days31To60", description="31 to 60 days late.")
    days_61_to_90: Decimal = strawberry.field(name="days61To90", description="61 to 90 days late.")
    over_90: Decimal = strawberry.field(name="over90", description="More than 90 days late.")
    unapplied_credit: Decimal = strawberry.field(
        description="Credit on account not yet applied to orders (never negative)."
    )
    total: Decimal = strawberry.field(
        description="The buckets minus unappliedCredit: the customer's current balance (on "
        "the totals row, the sum of all balances)."
    )

    @classmethod
    def of(cls, row: aging.AgingRow) -> AgingReportRow:
        return cls(
            customer=row.customer,  # type: ignore[arg-type]
            current=cents_to_decimal(row.current_cents),
            days_1_to_30=cents_to_decimal(row.days_1_to_30_cents),
            days_31_to_60=cents_to_decimal(row.days_31_to_60_cents),
            days_61_to_90=cents_to_decimal(row.days_61_to_90_cents),
            over_90=cents_to_decimal(row.over_90_cents),
            unapplied_credit=cents_to_decimal(row.unapplied_credit_cents),
            total=cents_to_decimal(row.total_cents),
        )


@strawberry.type(description="What customers owe, by how long it has been due, as of one day.")
class AgingReport:
    as_of: date = strawberry.field(description="The day the buckets are counted from.")
    rows: list[AgingReportRow] = strawberry.field(
        description="Customers with open items or credit, largest total first."
    )
    totals: AgingReportRow = strawberry.field(
        description="The rows summed: its total is the sum of every customer's balance."
    )


@strawberry.type(description="How many customers have one engagement.")
class EngagementCount:
    engagement: Engagement = strawberry.field(description="The engagement.")
    count: int = strawberry.field(description="How many customers have it.")


@strawberry.type(description="How many customers have one status.")
class StatusCount:
    status: CustomerStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many customers have it.")


@strawberry.type(description="How many customers have one billing status.")
class BillingStatusCount:
    billing_status: BillingStatus = strawberry.field(description="The billing status.")
    count: int = strawberry.field(description="How many customers have it.")


@strawberry.type(description="How many customers were created in one month.")
class PeriodCount:
    period: date = strawberry.field(description="First day of the month.")
    count: int = strawberry.field(description="How many customers were created in the month.")


@strawberry.type(
    description="Counts of the company's customers, by engagement, status and billing status."
)
class CustomerSummary:
    total: int = strawberry.field(description="How many customers the company has.")
    by_engagement: list[EngagementCount] = strawberry.field(
        description="ENGAGED: an order in the last 365 days; LAPSED: older; NEVER_ORDERED."
    )
    by_status: list[StatusCount] = strawberry.field(description="Customers per status.")
    by_billing_status: list[BillingStatusCount] = strawberry.field(
        description="Customers per billing status."
    )
    new_customers_by_month: list[PeriodCount] = strawberry.field(
        description="Customers created per month, the last 12 months, oldest first."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Invoiced orders placed between from and to, grouped.")
    async def sales_report(
        self,
        info: Info,
        group_by: Annotated[
            list[SalesReportGroup],
            strawberry.argument(description="How to group the rows (several combine)."),
        ],
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from", description="First day (inclusive, company time zone) of placedAt."
            ),
        ] = None,
        to: Annotated[
            date | None,
            strawberry.argument(description="Last day (inclusive, company time zone) of placedAt."),
        ] = None,
    ) -> SalesReport:
        report = await reports.sales_report(info.context, from_, to, group_by)
        return SalesReport(
            rows=[SalesReportRow(_row=row) for row in report.rows],
            totals=SalesReportRow(_row=report.totals),
        )

    @strawberry.field(description="Transactions that occurred between from and to, grouped.")
    async def transactions_report(
        self,
        info: Info,
        group_by: Annotated[
            list[TransactionsReportGroup],
            strawberry.argument(description="How to group the rows (several combine)."),
        ],
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from", description="First day (inclusive, company time zone) of occurredAt."
            ),
        ] = None,
        to: Annotated[
            date | None,
            strawberry.argument(
                description="Last day (inclusive, company time zone) of occurredAt."
            ),
        ] = None,
    ) -> TransactionsReport:
        rows = await reports.transactions_report(info.context, from_, to, group_by)
        totals = reports.TransactionsRow(
            kind=None,
            method=None,
            period=None,
            count=sum(row.count for row in rows),
            money_in_cents=sum(row.money_in_cents for row in rows),
            money_out_cents=sum(row.money_out_cents for row in rows),
        )
        return TransactionsReport(
            rows=[TransactionsReportRow.of(row) for row in rows],
            totals=TransactionsReportRow.of(totals),
        )

    @strawberry.field(
        description="Every customer's balance by days past due on asOf (default today), "
        "reconciled: each row's total is the customer's currentBalance, the totals row's "
        "the sum of all balances. salesRepIds keeps customers whose rep is one of them."
    )
    async def aging_report(
        self,
        info: Info,
        as_of: Annotated[
            date | None,
            strawberry.argument(
                description="The day to age to (default today in the company time zone)."
            ),
        ] = None,
        sales_rep_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Only customers of these reps."),
        ] = None,
    ) -> AgingReport:
        report = await aging.aging_report(
            info.context,
            as_of,
            sales_rep_ids,
            with_customers=selects(info, "rows", "customer"),
        )
        return AgingReport(
            as_of=report.as_of,
            rows=[AgingReportRow.of(row) for row in report.rows],
            totals=AgingReportRow.of(report.totals),
        )

    @strawberry.field(description="Customer counts by engagement, status and billing status.")
    async def customer_summary(self, info: Info) -> CustomerSummary:
        summary = await reports.customer_summary(info.context)
        return CustomerSummary(
            total=summary.total,
            by_engagement=[
                EngagementCount(engagement=k, count=v) for k, v in summary.by_engagement.items()
            ],
            by_status=[StatusCount(status=k, count=v) for k, v in summary.by_status.items()],
            by_billing_status=[
                BillingStatusCount(billing_status=k, count=v)
                for k, v in summary.by_billing_status.items()
            ],
            new_customers_by_month=[
                PeriodCount(period=month, count=count) for month, count in summary.new_by_month
            ],
        )
