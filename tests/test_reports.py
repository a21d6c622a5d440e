"""Reports through GraphQL: sales, transactions, aging and the customer summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from db.enums import OrderStatus
from db.models import Customer
from db.session import Scope
from tests.ledger_factory import (
    bulk_customers_with_orders,
    make_customer,
    make_location,
    make_order,
    pk,
    set_company_timezone,
)
from tests.test_ledger import record

SALES = """query($from: Date, $to: Date, $groupBy: [SalesReportGroup!]!) {
  salesReport(from: $from, to: $to, groupBy: $groupBy) {
    rows { customer { name } salesRep { id } location { name } period orderCount total
      averageOrderTotal }
    totals { orderCount total averageOrderTotal } } }"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def sales_world(api, tenant, database):
    """Three customers, two locations (one overriding the rep), orders around month ends."""
    await set_company_timezone(database, tenant, "America/New_York")
    acme = await make_customer(api, tenant, "Acme", salesRepId=tenant.rep.global_id)
    bolt = await make_customer(api, tenant, "Bolt", salesRepId=tenant.rep2.global_id)
    cove = await make_customer(api, tenant, "Cove")
    uptown = await make_location(api, tenant, acme, "Uptown", salesRepId=tenant.rep2.global_id)
    harbor = await make_location(api, tenant, acme, "Harbor")
    orders = [
        (acme, 10000, "2026-01-15T12:00:00", uptown, OrderStatus.SUBMITTED),
        # 22:00 on January 31st in New York.
        (acme, 5000, "2026-02-01T03:00:00", harbor, OrderStatus.DELIVERED),
        (acme, 2525, "2026-02-10T12:00:00", None, OrderStatus.CONFIRMED),
        (bolt, 20000, "2026-02-20T12:00:00", None, OrderStatus.SHIPPED),
        (cove, 1000, "2026-03-05T12:00:00", None, OrderStatus.SUBMITTED),
        # 23:30 on March 31st in New York: inside `to`.
        (acme, 6000, "2026-04-01T03:30:00", None, OrderStatus.SUBMITTED),
        # 18:00 on December 31st in New York: before `from`.
        (acme, 4000, "2025-12-31T23:00:00", None, OrderStatus.SUBMITTED),
        # Not invoiced: never in the report.
        (acme, 99900, "2026-02-11T12:00:00", None, OrderStatus.DRAFT),
        (bolt, 50000, "2026-02-12T12:00:00", None, OrderStatus.CANCELLED),
    ]
    for customer, total, placed, location, status in orders:
        await make_order(
            api,
            tenant,
            customer,
            total,
            placed_at=at(placed),
            location_gid=location,
            status=status,
        )


async def sales(api, token, group_by, **dates):
    variables = {"groupBy": group_by, "from": "2026-01-01", "to": "2026-03-31", **dates}
    return (await api.ok(SALES, variables, token=token))["salesReport"]


async def test_sales_report_by_month_rep_location_and_customer(api, tenant, database):
    await sales_world(api, tenant, database)
    token = tenant.rep.token
    by_month = await sales(api, token, ["MONTH"])
    assert [
        (r["period"], r["orderCount"], r["total"], r["averageOrderTotal"]) for r in by_month["rows"]
    ] == [
        ("2026-01-01", 2, "150.00", "75.00"),
        ("2026-02-01", 2, "225.25", "112.63"),
        ("2026-03-01", 2, "70.00", "35.00"),
    ]
    assert all(r["customer"] is None and r["salesRep"] is None for r in by_month["rows"])
    assert by_month["totals"] == {"orderCount": 6, "total": "445.25", "averageOrderTotal": "74.21"}

    by_rep = await sales(api, token, ["SALES_REP"])
    assert [(r["salesRep"], r["orderCount"], r["total"]) for r in by_rep["rows"]] == [
        # Uptown's override and Bolt's own rep.
        ({"id": tenant.rep2.global_id}, 2, "300.00"),
        # Acme's rep: Harbor inherits it, and orders without a location.
        ({"id": tenant.rep.global_id}, 3, "135.25"),
        (None, 1, "10.00"),
    ]
    by_location = await sales(api, token, ["LOCATION"])
    assert [(r["location"], r["orderCount"], r["total"]) for r in by_location["rows"]] == [
        (None, 4, "295.25"),
        ({"name": "Uptown"}, 1, "100.00"),
        ({"name": "Harbor"}, 1, "50.00"),
    ]
    by_customer_month = await sales(api, token, ["CUSTOMER", "MONTH"])
    assert [
        (r["period"], r["customer"]["name"], r["orderCount"], r["total"])
        for r in by_customer_month["rows"]
    ] == [
        ("2026-01-01", "Acme", 2, "150.00"),
        ("2026-02-01", "Bolt", 1, "200.00"),
        ("2026-02-01", "Acme", 1, "25.25"),
        ("2026-03-01", "Acme", 1, "60.00"),
        ("2026-03-01", "Cove", 1, "10.00"),
    ]
    everything = await sales(api, token, [], **{"from": None, "to": None})
    assert [(r["orderCount"], r["total"]) for r in everything["rows"]] == [(7, "485.25")]
    # Open-ended by month: the months come from the data (December 2025 to March 2026).
    open_months = await sales(api, token, ["MONTH"], **{"from": None, "to": None})
    assert [(r["period"], r["total"]) for r in open_months["rows"]] == [
        ("2025-12-01", "40.00"),
        ("2026-01-01", "150.00"),
        ("2026-02-01", "225.25"),
        ("2026-03-01", "70.00"),
    ]
    nothing = await sales(api, token, ["MONTH"], **{"from": "2027-01-01", "to": "2027-12-31"})
    assert nothing == {
        "rows": [],
        "totals": {"orderCount": 0, "total": "0.00", "averageOrderTotal": None},
    }


async def test_sales_report_is_per_company_and_checks_dates(api, tenant, other_tenant, database):
    await sales_world(api, tenant, database)
    theirs = await sales(api, other_tenant.admin.token, ["CUSTOMER"])
    assert theirs["rows"] == []
    body = await api.gql(
        SALES,
        {"groupBy": ["MONTH"], "from": "2026-03-01", "to": "2026-01-01"},
        token=tenant.admin.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "`from` must not be after `to`."


TRANSACTIONS = """query($from: Date, $to: Date, $groupBy: [TransactionsReportGroup!]!) {
  transactionsReport(from: $from, to: $to, groupBy: $groupBy) {
    rows { kind method period count moneyIn moneyOut total }
    totals { count moneyIn moneyOut total } } }"""


async def test_transactions_report_by_kind_method_and_month(api, tenant, other_tenant, database):
    await set_company_timezone(database, tenant, "Europe/Berlin")
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Acme")
    entries = [
        ("PAYMENT", "100.00", "CHECK", "2026-01-10T10:00:00+00:00"),
        # 00:30 on February 1st in Berlin.
        ("PAYMENT", "50.50", "CARD", "2026-01-31T23:30:00+00:00"),
        ("PAYMENT", "20.00", "CHECK", "2026-02-03T10:00:00+00:00"),
        ("REFUND", "5.00", "CARD", "2026-02-04T10:00:00+00:00"),
        ("CREDIT", "7.25", None, "2026-02-05T10:00:00+00:00"),
        ("ADJUSTMENT", "-3.00", None, "2026-02-06T10:00:00+00:00"),
        ("ADJUSTMENT", "1.00", None, "2026-02-07T10:00:00+00:00"),
        ("PAYMENT", "999.00", "WIRE", "2026-03-01T10:00:00+00:00"),
    ]
    for kind, amount, method, occurred in entries:
        result = await record(
            api,
            token,
            customerId=customer,
            kind=kind,
            amount=amount,
            method=method,
            occurredAt=occurred,
        )
        assert result["userErrors"] == []
    window = {"from": "2026-01-01", "to": "2026-02-28"}

    async def report(group_by, token=token):
        variables = {"groupBy": group_by, **window}
        return (await api.ok(TRANSACTIONS, variables, token=token))["transactionsReport"]

    # Signed: money in (payments, credits, the write-off) minus money out (the refund,
    # the charge of 1.00).
    by_kind = await report(["KIND"])
    assert [
        (r["kind"], r["count"], r["moneyIn"], r["moneyOut"], r["total"]) for r in by_kind["rows"]
    ] == [
        ("ADJUSTMENT", 2, "3.00", "1.00", "2.00"),
        ("CREDIT", 1, "7.25", "0.00", "7.25"),
        ("PAYMENT", 3, "170.50", "0.00", "170.50"),
        ("REFUND", 1, "0.00", "5.00", "-5.00"),
    ]
    assert by_kind["totals"] == {
        "count": 7,
        "moneyIn": "180.75",
        "moneyOut": "6.00",
        "total": "174.75",
    }
    by_month_kind = await report(["MONTH", "KIND"])
    assert [(r["period"], r["kind"], r["count"], r["total"]) for r in by_month_kind["rows"]] == [
        ("2026-01-01", "PAYMENT", 1, "100.00"),
        ("2026-02-01", "ADJUSTMENT", 2, "2.00"),
        ("2026-02-01", "CREDIT", 1, "7.25"),
        ("2026-02-01", "PAYMENT", 2, "70.50"),
        ("2026-02-01", "REFUND", 1, "-5.00"),
    ]
    by_method = await report(["METHOD"])
    assert {(r["method"], r["count"], r["total"]) for r in by_method["rows"]} == {
        (None, 3, "9.25"),
        ("CARD", 2, "45.50"),
        ("CHECK", 2, "120.00"),
    }
    assert (await report(["KIND"], token=other_tenant.admin.token))["rows"] == []


AGING = """query($asOf: Date, $reps: [ID!]) { agingReport(asOf: $asOf, salesRepIds: $reps) {
  asOf rows { customer { name } current days1To30 days31To60 days61To90 over90 total }
  totals { customer { name } current days1To30 days31To60 days61To90 over90 total } } }"""


async def test_aging_report_buckets_by_due_date(api, tenant, other_tenant, database):
    token = tenant.manager.token
    as_of = date(2026, 6, 30)
    acme = await make_customer(api, tenant, "Acme", salesRepId=tenant.rep.global_id)
    bolt = await make_customer(api, tenant, "Bolt", salesRepId=tenant.rep2.global_id)
    settled = await make_customer(api, tenant, "Settled")

    async def order(customer, total, due):
        return await make_order(api, tenant, customer, total, due_date=due)

    await order(acme, 1000, date(2026, 7, 5))  # not yet due
    await order(acme, 500, None)  # no due date: current
    await order(acme, 2000, date(2026, 6, 29))  # 1 day late
    await order(acme, 2500, date(2026, 5, 31))  # 30 days late
    await order(acme, 3000, date(2026, 5, 30))  # 31 days late
    partly_paid = await order(acme, 4000, date(2026, 4, 15))  # 76 days late
    await order(bolt, 5000, date(2026, 3, 31))  # 91 days late
    await order(bolt, 700, date(2026, 4, 1))  # 90 days late
    paid = await order(settled, 9900, date(2026, 1, 1))
    await make_order(api, tenant, bolt, 8000, status=OrderStatus.DRAFT, due_date=as_of)
    for customer, target, amount in ((acme, partly_paid, "15.00"), (settled, paid, "99.00")):
        result = await record(
            api,
            token,
            customerId=customer,
            kind="PAYMENT",
            amount=amount,
            allocations=[{"orderId": target, "amount": amount}],
        )
        assert result["userErrors"] == []

    report = (await api.ok(AGING, {"asOf": "2026-06-30"}, token=token))["agingReport"]
    assert report["asOf"] == "2026-06-30"
    buckets = ("current", "days1To30", "days31To60", "days61To90", "over90", "total")
    assert [(r["customer"]["name"], *(r[b] for b in buckets)) for r in report["rows"]] == [
        ("Acme", "15.00", "45.00", "30.00", "25.00", "0.00", "115.00"),
        ("Bolt", "0.00", "0.00", "0.00", "7.00", "50.00", "57.00"),
    ]
    assert report["totals"] == {
        "customer": None,
        "current": "15.00",
        "days1To30": "45.00",
        "days31To60": "30.00",
        "days61To90": "32.00",
        "over90": "50.00",
        "total": "172.00",
    }
    only_rep2 = await api.ok(
        AGING, {"asOf": "2026-06-30", "reps": [tenant.rep2.global_id]}, token=token
    )
    assert [r["customer"]["name"] for r in only_rep2["agingReport"]["rows"]] == ["Bolt"]
    assert only_rep2["agingReport"]["totals"]["total"] == "57.00"
    # Later, everything has moved on a bucket or more.
    later = (await api.ok(AGING, {"asOf": "2026-09-30"}, token=token))["agingReport"]
    assert later["totals"]["over90"] == "157.00"
    assert (await api.ok(AGING, {}, token=other_tenant.admin.token))["agingReport"]["rows"] == []
    bad = await api.gql(AGING, {"reps": ["nope"]}, token=token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_aging_report_statements_do_not_grow_with_rows(api, tenant, database):
    token = tenant.admin.token
    due = date.today() - timedelta(days=40)
    await bulk_customers_with_orders(
        database,
        tenant,
        101,
        total_cents=1000,
        due_date=due,
        sales_rep_id=lambda n: tenant.rep.id if n < 10 else tenant.rep2.id,
    )
    query = """query($reps: [ID!]) { agingReport(salesRepIds: $reps) {
      rows { customer { name salesRep { name } } days31To60 } totals { days31To60 } } }"""
    ten = await api.ok(query, {"reps": [tenant.rep.global_id]}, token=token)
    statements = api.last_statements
    everyone = await api.ok(query, {}, token=token)
    assert api.last_statements == statements
    assert len(ten["agingReport"]["rows"]) == 10
    assert len(everyone["agingReport"]["rows"]) == 101
    assert everyone["agingReport"]["rows"][0]["customer"]["name"] == "Customer 100"
    assert everyone["agingReport"]["totals"]["days31To60"] == "1060.50"


async def test_aging_report_reads_rows_and_customers_in_one_statement(api, tenant, database):
    token = tenant.admin.token
    due = date.today() - timedelta(days=10)
    await bulk_customers_with_orders(database, tenant, 3, total_cents=2500, due_date=due)
    await api.ok("{ me { id } }", token=token)
    one_read = api.last_statements  # `me`: the viewer, then one read
    # The customer through a fragment, as clients write it; the totals row has none.
    query = """fragment Who on Customer { name }
      query { agingReport { rows { customer { ...Who } days1To30 total }
        totals { customer { name } days1To30 total } } }"""
    report = (await api.ok(query, token=token))["agingReport"]
    assert api.last_statements == one_read
    assert report["rows"] == [
        {"customer": {"name": f"Customer 00{n}"}, "days1To30": f"25.0{n}", "total": f"25.0{n}"}
        for n in (2, 1, 0)
    ]
    assert report["totals"] == {"customer": None, "days1To30": "75.03", "total": "75.03"}
    # Without the customer: the same figures, still one statement.
    bare = (await api.ok("{ agingReport { rows { total } totals { total } } }", token=token))[
        "agingReport"
    ]
    assert api.last_statements == one_read
    assert bare == {
        "rows": [{"total": "25.02"}, {"total": "25.01"}, {"total": "25.00"}],
        "totals": {"total": "75.03"},
    }


@pytest.mark.parametrize(
    "index, table, name, condition",
    [
        ("ix_orders_open", "orders", "OPEN_ORDER", "orders.balance_due_cents > 0"),
        (
            "ix_transactions_charges",
            "transactions",
            "CHARGE",
            "transactions.kind = 'ADJUSTMENT' AND transactions.amount_cents > 0",
        ),
        (
            "ix_customers_unapplied_credit",
            "customers",
            "HOLDS_CREDIT",
            "customers.unapplied_credit_cents > 0",
        ),
    ],
)
async def test_aging_report_conditions_let_the_partial_indexes_apply(
    database, index, table, name, condition
):
    """The aging report's three parts read partial indexes (migrations 0005, 0007): a query
    can use one only when it repeats the index's condition with literals (SQLite refuses
    INDEXED BY otherwise)."""
    if not database.sqlite:
        pytest.skip("INDEXED BY is SQLite's")
    from db.models import Base
    from resolvers import aging

    compiled = getattr(aging, name).compile(dialect=database.engine.dialect)
    assert str(compiled) == condition
    async with database.engine.connect() as connection:
        plan = await connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT count(*) FROM {table} INDEXED BY {index} "
            f"WHERE company_id = ? AND {condition}",
            (1,),
        )
        assert f"COVERING INDEX {index}" in str(plan.all())
        with pytest.raises(Exception, match="no query solution"):
            await connection.exec_driver_sql(
                f"SELECT count(*) FROM {table} INDEXED BY {index} WHERE company_id = ?", (1,)
            )
    assert index in {i.name for i in Base.metadata.tables[table].indexes}  # models check


SUMMARY = """{ customerSummary { total byEngagement { engagement count }
  byStatus { status count } byBillingStatus { billingStatus count }
  newCustomersByMonth { period count } } }"""


async def test_customer_summary(api, tenant, other_tenant, database):
    token = tenant.rep.token
    engaged = await make_customer(api, tenant, "Engaged", billingStatus="PAST_DUE")
    lapsed = await make_customer(api, tenant, "Lapsed", status="INACTIVE")
    await make_customer(api, tenant, "Prospect", status="PROSPECT")
    old = await make_customer(api, tenant, "Old", billingStatus="CREDIT_HOLD")
    now = datetime.now(UTC)
    await make_order(api, tenant, engaged, 1000, placed_at=now - timedelta(days=10))
    await make_order(api, tenant, lapsed, 1000, placed_at=now - timedelta(days=400))
    # Old joined three months ago; one created two years ago is outside the 12 months.
    async with database.transaction(Scope(tenant.company_id)) as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == pk(old))
            .values(created_at=now - timedelta(days=92))
        )
        await session.execute(
            update(Customer)
            .where(Customer.id == pk(lapsed))
            .values(created_at=now - timedelta(days=730))
        )
    summary = (await api.ok(SUMMARY, token=token))["customerSummary"]
    assert summary["total"] == 4
    assert summary["byEngagement"] == [
        {"engagement": "ENGAGED", "count": 1},
        {"engagement": "LAPSED", "count": 1},
        {"engagement": "NEVER_ORDERED", "count": 2},
    ]
    assert summary["byStatus"] == [
        {"status": "ACTIVE", "count": 2},
        {"status": "INACTIVE", "count": 1},
        {"status": "PROSPECT", "count": 1},
        {"status": "ARCHIVED", "count": 0},
    ]
    assert summary["byBillingStatus"] == [
        {"billingStatus": "GOOD_STANDING", "count": 2},
        {"billingStatus": "PAST_DUE", "count": 1},
        {"billingStatus": "CREDIT_HOLD", "count": 1},
        {"billingStatus": "PREPAY_ONLY", "count": 0},
    ]
    months = summary["newCustomersByMonth"]
    assert len(months) == 12
    this_month = now.astimezone(ZoneInfo("UTC")).date().replace(day=1)
    old_month = (now - timedelta(days=92)).date().replace(day=1)
    assert months[-1] == {"period": this_month.isoformat(), "count": 2}
    counts = {m["period"]: m["count"] for m in months}
    assert counts[old_month.isoformat()] == 1
    assert sum(counts.values()) == 3
    theirs = (await api.ok(SUMMARY, token=other_tenant.admin.token))["customerSummary"]
    assert theirs["total"] == 0
