"""GET /export/<report>.csv: the same reports as GraphQL, as CSV with the bearer token."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.ledger_factory import make_customer, make_order
from tests.test_ledger import record
from tests.test_reports import sales_world


async def get_csv(api, path, token, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.client.get(path, params=params, headers=headers)


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.text)))


async def test_sales_csv_matches_the_report(api, tenant, other_tenant, database):
    await sales_world(api, tenant, database)
    token = tenant.manager.token
    response = await get_csv(
        api,
        "/export/sales.csv",
        token,
        **{"from": "2026-01-01", "to": "2026-03-31", "groupBy": "MONTH,SALES_REP"},
    )
    rep, rep2 = f"Rep {tenant.rep.email[4:12]}", f"Rep2 {tenant.rep2.email[5:13]}"
    assert rows(response) == [
        ["period", "salesRep", "orderCount", "total", "averageOrderTotal"],
        ["2026-01-01", rep2, "1", "100.00", "100.00"],
        ["2026-01-01", rep, "1", "50.00", "50.00"],
        ["2026-02-01", rep2, "1", "200.00", "200.00"],
        ["2026-02-01", rep, "1", "25.25", "25.25"],
        ["2026-03-01", rep, "1", "60.00", "60.00"],
        ["2026-03-01", "", "1", "10.00", "10.00"],
    ]
    assert response.headers["content-disposition"] == 'attachment; filename="sales.csv"'
    by_customer = await get_csv(
        api,
        "/export/sales.csv",
        token,
        **{"from": "2026-01-01", "to": "2026-03-31", "groupBy": ["CUSTOMER", "LOCATION"]},
    )
    assert rows(by_customer)[:3] == [
        ["customer", "location", "orderCount", "total", "averageOrderTotal"],
        ["Bolt", "", "1", "200.00", "200.00"],
        ["Acme", "Uptown", "1", "100.00", "100.00"],
    ]
    theirs = await get_csv(api, "/export/sales.csv", other_tenant.admin.token, groupBy="CUSTOMER")
    assert rows(theirs) == [["customer", "orderCount", "total", "averageOrderTotal"]]


async def test_report_csvs_refuse_bad_requests(api, tenant):
    unauthenticated = await get_csv(api, "/export/aging.csv", None)
    assert unauthenticated.status_code == 401
    for path, params, message in [
        ("/export/sales.csv", {"groupBy": "WEEKDAY"}, "`groupBy`: expected some of"),
        ("/export/transactions.csv", {"from": "yesterday"}, "`from`: not an ISO date"),
        (
            "/export/sales.csv",
            {"from": "2026-02-01", "to": "2026-01-01"},
            "`from` must not be after `to`.",
        ),
        ("/export/aging.csv", {"salesRepIds": "nope"}, "Not a valid Staff id"),
    ]:
        response = await get_csv(api, path, tenant.admin.token, **params)
        assert response.status_code == 400
        assert message in response.text


async def test_transactions_aging_and_summary_csvs(api, tenant, database):
    token = tenant.manager.token
    acme = await make_customer(api, tenant, "Acme", salesRepId=tenant.rep.global_id)
    late = await make_order(api, tenant, acme, 5000, due_date=date(2026, 5, 1))
    await make_order(api, tenant, acme, 2000, due_date=date(2026, 7, 1))
    for kind, amount, method, allocations in [
        # 5.00 of the check stays on account, and is refunded.
        ("PAYMENT", "25.00", "CHECK", [{"orderId": late, "amount": "20.00"}]),
        ("REFUND", "5.00", "CARD", []),
        ("ADJUSTMENT", "-1.50", None, []),
    ]:
        result = await record(
            api,
            token,
            customerId=acme,
            kind=kind,
            amount=amount,
            method=method,
            occurredAt="2026-06-15T12:00:00+00:00",
            allocations=allocations,
        )
        assert result["userErrors"] == []

    transactions = await get_csv(
        api, "/export/transactions.csv", token, groupBy=["KIND", "METHOD"], to="2026-06-30"
    )
    assert rows(transactions) == [
        ["kind", "method", "count", "moneyIn", "moneyOut", "total"],
        ["ADJUSTMENT", "", "1", "1.50", "0.00", "1.50"],
        ["PAYMENT", "CHECK", "1", "25.00", "0.00", "25.00"],
        ["REFUND", "CARD", "1", "0.00", "5.00", "-5.00"],
    ]
    aging = await get_csv(
        api, "/export/aging.csv", token, asOf="2026-06-30", salesRepIds=tenant.rep.global_id
    )
    assert rows(aging) == [
        [
            "customerId",
            "customer",
            "current",
            "days1To30",
            "days31To60",
            "days61To90",
            "over90",
            "unappliedCredit",
            "total",
        ],
        # The write-off of 1.50 is credit on account: the total is Acme's balance.
        [acme, "Acme", "20.00", "0.00", "30.00", "0.00", "0.00", "1.50", "48.50"],
    ]
    assert aging.headers["content-disposition"] == 'attachment; filename="aging-2026-06-30.csv"'
    other_rep = await get_csv(
        api, "/export/aging.csv", token, asOf="2026-06-30", salesRepIds=tenant.rep2.global_id
    )
    assert len(rows(other_rep)) == 1

    summary = rows(await get_csv(api, "/export/customer-summary.csv", token))
    assert summary[:4] == [
        ["dimension", "value", "count"],
        ["engagement", "ENGAGED", "1"],
        ["engagement", "LAPSED", "0"],
        ["engagement", "NEVER_ORDERED", "0"],
    ]
    assert ["status", "ACTIVE", "1"] in summary
    assert len([r for r in summary if r[0] == "newCustomers"]) == 12
    assert summary[-1][2] == "1"
