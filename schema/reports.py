"""Reports: sales, transactions, aging and the customer summary (all computed in SQL).

Dates are calendar days in the company's time zone; `from` and `to` include both days.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers import reports
from resolvers.loaders import load_customer, load_staff
from resolvers.money import cents_to_decimal
from resolvers.orders import load_location
from schema.enums import BillingStatus, CustomerStatus, Engagement, PaymentMethod, TransactionKind
from schema.lookahead import selects
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.locations import Location

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
LocationRef = Annotated["Location", strawberry.lazy("schema.locations")]

SalesReportGroup = strawberry.enum(reports.SalesReportGroup)
TransactionsReportGroup = strawberry.enum(reports.TransactionsReportGroup)


async def _customer(info: Info, customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    return await info.context.loaders[load_customer].load(customer_id)


@strawberry.type(description="One group of invoiced orders; fields not grouped by are null.")
class SalesReportRow:
    _row: strawberry.Private[reports.SalesRow]

    @strawberry.field
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

    @strawberry.field
    def order_count(self) -> int:
        return self._row.order_count

    @strawberry.field
    def total(self) -> Decimal:
        return cents_to_decimal(self._row.total_cents)

    @strawberry.field(description="total / orderCount, rounded half up to the cent.")
    def average_order_total(self) -> Decimal | None:
        average = self._row.average_cents
        return None if average is None else cents_to_decimal(average)


@strawberry.type
class SalesReport:
    rows: list[SalesReportRow]
    totals: SalesReportRow = strawberry.field(description="All the rows together.")


@strawberry.type(description="One group of transactions; fields not grouped by are null.")
class TransactionsReportRow:
    kind: TransactionKind | None
    method: PaymentMethod | None = strawberry.field(
        description="Null when grouped by METHOD: transactions without a method."
    )
    period: date | None = strawberry.field(description="First day of the month, by MONTH.")
    count: int
    total: Decimal = strawberry.field(description="Sum of the amounts (adjustments signed).")


@strawberry.type
class TransactionsReport:
    rows: list[TransactionsReportRow]
    totals: TransactionsReportRow = strawberry.field(description="All the rows together.")


@strawberry.type(description="Open balance due, by how many days past the due date.")
class AgingReportRow:
    # Plain fields, no resolvers: a report has a row per customer with a balance (thousands
    # in a large book), and a plain field costs far less to resolve than a method.
    customer: CustomerRef | None = strawberry.field(description="Null on the totals row.")
    current: Decimal = strawberry.field(description="Not yet due, or no due date.")
    days_1_to_30: Decimal = strawberry.field(name="days1To30")
    days_31_to_60: Decimal = strawberry.field(name="days31To60")
    days_61_to_90: Decimal = strawberry.field(name="days61To90")
    over_90: Decimal = strawberry.field(name="over90")
    total: Decimal

    @classmethod
    def of(cls, row: reports.AgingRow) -> AgingReportRow:
        return cls(
            customer=row.customer,  # type: ignore[arg-type]
            current=cents_to_decimal(row.current_cents),
            days_1_to_30=cents_to_decimal(row.days_1_to_30_cents),
            days_31_to_60=cents_to_decimal(row.days_31_to_60_cents),
            days_61_to_90=cents_to_decimal(row.days_61_to_90_cents),
            over_90=cents_to_decimal(row.over_90_cents),
            total=cents_to_decimal(row.total_cents),
        )


@strawberry.type
class AgingReport:
    as_of: date
    rows: list[AgingReportRow] = strawberry.field(
        description="Customers with an open balance, largest first."
    )
    totals: AgingReportRow


@strawberry.type
class EngagementCount:
    engagement: Engagement
    count: int


@strawberry.type
class StatusCount:
    status: CustomerStatus
    count: int


@strawberry.type
class BillingStatusCount:
    billing_status: BillingStatus
    count: int


@strawberry.type
class PeriodCount:
    period: date = strawberry.field(description="First day of the month.")
    count: int


@strawberry.type
class CustomerSummary:
    total: int
    by_engagement: list[EngagementCount] = strawberry.field(
        description="ENGAGED: an order in the last 365 days; LAPSED: older; NEVER_ORDERED."
    )
    by_status: list[StatusCount]
    by_billing_status: list[BillingStatusCount]
    new_customers_by_month: list[PeriodCount] = strawberry.field(
        description="Customers created per month, the last 12 months, oldest first."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Invoiced orders placed between from and to, grouped.")
    async def sales_report(
        self,
        info: Info,
        group_by: list[SalesReportGroup],
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
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
        group_by: list[TransactionsReportGroup],
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> TransactionsReport:
        rows = await reports.transactions_report(info.context, from_, to, group_by)
        return TransactionsReport(
            rows=[
                TransactionsReportRow(
                    kind=row.kind,
                    method=row.method,
                    period=row.period,
                    count=row.count,
                    total=cents_to_decimal(row.total_cents),
                )
                for row in rows
            ],
            totals=TransactionsReportRow(
                kind=None,
                method=None,
                period=None,
                count=sum(row.count for row in rows),
                total=cents_to_decimal(sum(row.total_cents for row in rows)),
            ),
        )

    @strawberry.field(
        description="Open balances per customer by days past due on asOf (default today); "
        "salesRepIds keeps customers whose rep is one of them."
    )
    async def aging_report(
        self,
        info: Info,
        as_of: date | None = None,
        sales_rep_ids: list[strawberry.ID] | None = None,
    ) -> AgingReport:
        report = await reports.aging_report(
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
