"""Customer statements: GraphQL, the PDF a seller sends, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pypdf

from db.enums import OrderStatus
from server.app import create_app
from tests.conftest import Api
from tests.ledger_factory import cancel_order, make_customer, make_order, set_company_timezone
from tests.test_ledger import record

STATEMENT = """query($id: ID!, $from: Date, $to: Date) {
  customerStatement(customerId: $id, from: $from, to: $to) {
    customer { name balance { currentBalance } } from to openingBalance closingBalance
    lines { date kind reference description amount balance } } }"""


async def statement(api, token, customer, **period):
    data = await api.ok(STATEMENT, {"id": customer, **period}, token=token)
    return data["customerStatement"]


async def history(api, tenant, database) -> str:
    """Café Olé's spring in New York: invoices, payments, a refund, a charge."""
    await set_company_timezone(database, tenant, "America/New_York")
    token = tenant.manager.token
    customer = await make_customer(
        api,
        tenant,
        "Café Olé",
        billingAddress={"line1": "12 Rue Haute", "city": "Montréal", "country": "CA"},
    )
    # 03:00 UTC on April 1st is still March 31st in New York: before the period.
    await make_order(api, tenant, customer, 10000, placed_at=datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
    april = await make_order(
        api, tenant, customer, 25050, placed_at=datetime(2026, 4, 10, 15, 0, tzinfo=UTC)
    )
    for kind, amount, at, extra in [
        (
            "PAYMENT",
            "100.00",
            "2026-04-02T14:00:00+00:00",
            {"method": "CHECK", "reference": "1042"},
        ),
        ("PAYMENT", "300.00", "2026-04-20T14:00:00+00:00", {"method": "ACH"}),
        ("REFUND", "20.00", "2026-04-25T14:00:00+00:00", {"method": "CARD", "note": "Broken jar"}),
        ("ADJUSTMENT", "7.50", "2026-05-01T03:30:00+00:00", {"note": "Late fee"}),
    ]:
        result = await record(
            api, token, customerId=customer, kind=kind, amount=amount, occurredAt=at, **extra
        )
        assert result["userErrors"] == [], result
    assert april
    return customer


async def test_a_statement_runs_from_opening_to_closing_balance(api, tenant, database):
    customer = await history(api, tenant, database)
    token = tenant.rep.token
    april = await statement(api, token, customer, **{"from": "2026-04-01", "to": "2026-04-30"})
    assert april["from"] == "2026-04-01" and april["to"] == "2026-04-30"
    # The order placed at 23:00 on March 31st (New York) is the opening balance.
    assert april["openingBalance"] == "100.00"
    assert april["lines"] == [
        {
            "date": "2026-04-02",
            "kind": "PAYMENT",
            "reference": "1042",
            "description": "Payment by check",
            "amount": "-100.00",
            "balance": "0.00",
        },
        {
            "date": "2026-04-10",
            "kind": "INVOICE",
            "reference": "1002",
            "description": "Order 1002, due 2026-04-10",
            "amount": "250.50",
            "balance": "250.50",
        },
        {
            "date": "2026-04-20",
            "kind": "PAYMENT",
            "reference": None,
            "description": "Payment by ACH",
            "amount": "-300.00",
            "balance": "-49.50",
        },
        {
            "date": "2026-04-25",
            "kind": "REFUND",
            "reference": None,
            "description": "Refund by card: Broken jar",
            "amount": "20.00",
            "balance": "-29.50",
        },
        # 03:30 UTC on May 1st is 23:30 on April 30th in New York.
        {
            "date": "2026-04-30",
            "kind": "ADJUSTMENT",
            "reference": None,
            "description": "Charge: Late fee",
            "amount": "7.50",
            "balance": "-22.00",
        },
    ]
    assert april["closingBalance"] == "-22.00"
    may = await statement(api, token, customer, **{"from": "2026-04-30", "to": "2026-05-31"})
    assert may["openingBalance"] == "-29.50"
    assert [(line["kind"], line["description"], line["amount"]) for line in may["lines"]] == [
        ("ADJUSTMENT", "Charge: Late fee", "7.50")
    ]
    # To today (the default), the closing balance is the current balance.
    now = await statement(api, token, customer, **{"from": "2026-01-01"})
    assert now["closingBalance"] == now["customer"]["balance"]["currentBalance"] == "-22.00"
    assert Decimal(now["openingBalance"]) + sum(Decimal(x["amount"]) for x in now["lines"]) == (
        Decimal(now["closingBalance"])
    )


async def test_a_cancelled_invoice_is_a_line_of_its_own(api, tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Redwood Cafe")
    order = await make_order(api, tenant, customer, 4200)
    await make_order(api, tenant, customer, 999, status=OrderStatus.DRAFT)
    await cancel_order(api, tenant, order)
    today = await statement(api, token, customer)
    # The draft was never invoiced: no line.
    assert [
        (line["kind"], line["reference"], line["amount"], line["balance"])
        for line in today["lines"]
    ] == [
        ("INVOICE", "1001", "42.00", "42.00"),
        ("CANCELLATION", "1001", "-42.00", "0.00"),
    ]
    assert today["lines"][1]["description"] == "Order 1001 cancelled"
    assert today["closingBalance"] == today["customer"]["balance"]["currentBalance"] == "0.00"


async def test_statement_arguments_and_isolation(api, tenant, other_tenant, database):
    customer = await make_customer(api, tenant, "Liberty Books")
    token = tenant.rep.token
    assert await statement(api, other_tenant.admin.token, customer) is None
    backwards = await api.gql(
        STATEMENT, {"id": customer, "from": "2026-05-02", "to": "2026-05-01"}, token=token
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    malformed = await api.gql(STATEMENT, {"id": "nope"}, token=token)
    assert malformed["errors"][0]["extensions"]["code"] == "INVALID_ID"
    forever = await api.gql(STATEMENT, {"id": customer, "from": "1900-01-01"}, token=token)
    assert forever["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_too_many_lines_are_refused_cheaply(app, database, tenant, settings):
    """A period with more lines than the setting: refused after reading one row more
    than the cap, whatever the period holds."""
    small = create_app(settings.model_copy(update={"statement_max_lines": 3}), database)
    transport = httpx.ASGITransport(app=small)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        api = Api(client, database)
        token = tenant.manager.token
        customer = await make_customer(api, tenant, "Timberline Lodge Shop")
        for _ in range(3):
            await record(api, token, customerId=customer, kind="PAYMENT", amount="1.00")
        fits = await statement(api, token, customer)
        assert len(fits["lines"]) == 3
        within = api.last_statements
        for _ in range(30):
            await record(api, token, customerId=customer, kind="PAYMENT", amount="1.00")
        refused = await api.gql(STATEMENT, {"id": customer}, token=token)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "more than 3 statement lines" in refused["errors"][0]["message"]
        assert api.last_statements == within


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_pdf_is_a_statement_a_seller_can_send(api, tenant, database):
    customer = await history(api, tenant, database)
    token = tenant.rep.token
    period = {"from": "2026-04-01", "to": "2026-04-30"}
    expected = await statement(api, token, customer, **period)
    response = await api.client.get(
        "/export/statement.pdf",
        params={"customer": customer, **period},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="statement-cafe-ole-2026-04-30.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    company = (await api.ok("{ company { name } }", token=token))["company"]["name"]
    for expected_text in (
        company,
        "Café Olé",
        "12 Rue Haute",
        "Montréal",
        "Period: 2026-04-01 to 2026-04-30",
        "Opening balance",
        "Closing balance",
        "Refund by card: Broken jar",
        "Aging as of",
    ):
        assert expected_text in text, expected_text
    closing = f"{Decimal(expected['closingBalance']):,.2f}"
    assert closing == "-22.00"
    assert f"Amount due: {closing}" in text
    # Every line's running balance is printed.
    for line in expected["lines"]:
        assert f"{Decimal(line['balance']):,.2f}" in text


async def test_a_long_statement_runs_over_pages(api, tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Evergreen Nursery")
    for n in range(70):
        await record(
            api, token, customerId=customer, kind="PAYMENT", amount=f"{n + 1}.00", reference=f"R{n}"
        )
    response = await api.client.get(
        "/export/statement.pdf",
        params={"customer": customer},
        headers={"Authorization": f"Bearer {token}"},
    )
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    text = pdf_text(response.content)
    assert "R0" in text and "R69" in text
    # Σ 1..70 = 2,485.00 paid: the closing balance.
    assert "Amount due: -2,485.00" in text
    assert "Page 2" in text


async def test_the_csv_is_the_same_statement(api, tenant, database):
    customer = await history(api, tenant, database)
    token = tenant.rep.token
    period = {"from": "2026-04-01", "to": "2026-05-31"}
    expected = await statement(api, token, customer, **period)
    response = await api.client.get(
        "/export/statement.csv",
        params={"customer": customer, **period},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["date", "kind", "reference", "description", "amount", "balance"]
    assert rows[1:] == [
        [
            line["date"],
            line["kind"],
            line["reference"] or "",
            line["description"],
            line["amount"],
            line["balance"],
        ]
        for line in expected["lines"]
    ]
    assert rows[-1][-1] == expected["closingBalance"] == "-22.00"


async def test_statement_exports_refuse_bad_requests(api, tenant, other_tenant):
    customer = await make_customer(api, tenant, "Granite State Tools")
    token = tenant.rep.token
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/export/statement.pdf", "/export/statement.csv"):
        unknown = await api.client.get(
            path, params={"customer": customer, "since": "x"}, headers=headers
        )
        assert unknown.status_code == 400
        assert unknown.json() == {
            "errors": [
                {
                    "message": "Unknown parameter(s) since; valid: customerId, from, to.",
                    "extensions": {
                        "code": "BAD_REQUEST",
                        "validParameters": ["customerId", "from", "to"],
                    },
                }
            ]
        }
        missing = await api.client.get(path, headers=headers)
        assert missing.status_code == 400
        bad_date = await api.client.get(
            path, params={"customer": customer, "to": "May 1"}, headers=headers
        )
        assert bad_date.status_code == 400
        bad_id = await api.client.get(path, params={"customer": "nope"}, headers=headers)
        assert bad_id.json()["errors"][0]["extensions"]["code"] == "INVALID_ID"
        theirs = await api.client.get(
            path,
            params={"customer": customer},
            headers={"Authorization": f"Bearer {other_tenant.admin.token}"},
        )
        assert theirs.status_code == 404
        anonymous = await api.client.get(path, params={"customer": customer})
        assert anonymous.status_code == 401
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
