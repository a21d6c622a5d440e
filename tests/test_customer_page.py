"""The customer page (benchmark case 2): a fixed, small number of statements at any page size.

The customer row brings its rep, payment terms and overdue amount; the orders page its
lines and the transactions page their allocations (a join each); locations and
interactions bring their staff. So: authentication, the customer, orders, transactions,
locations, contacts and interactions, plus SQLite's BEGIN of the read snapshot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bench.cases import CUSTOMER_DETAIL
from tests.ledger_factory import make_customer, make_location, make_order, pk

CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { field code message } } }"""
INTERACTION = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id } userErrors { field code message } } }"""
RECORD = """mutation($input: TransactionRecordInput!) { transactionRecord(input: $input) {
  transaction { id } userErrors { field code message } } }"""


def statements_of_the_page(database) -> int:
    return 8 if database.sqlite else 7


async def make_page(api, tenant) -> str:
    """A customer with two locations (one overriding the rep), two contacts and six each of
    interactions (two authors), one-line orders (two unpaid and overdue) and payments."""
    token = tenant.manager.token
    terms = (await api.ok("{ paymentTerms { id name } }", token=token))["paymentTerms"]
    net30 = next(t["id"] for t in terms if t["name"] == "Net 30")
    customer = await make_customer(
        api, tenant, "Page & Co", paymentTermsId=net30, salesRepId=tenant.rep.global_id
    )
    await make_location(api, tenant, customer, "Depot")
    await make_location(api, tenant, customer, "Annex", salesRepId=tenant.rep2.global_id)
    for name in ("Ada", "Bo"):
        await api.mutate(CONTACT, {"input": {"customerId": customer, "name": name}}, token=token)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    for i in range(6):
        author = tenant.rep if i % 2 else tenant.rep2
        at = (start + timedelta(days=i)).isoformat()
        body = {"customerId": customer, "kind": "NOTE", "body": f"note {i}", "occurredAt": at}
        await api.mutate(INTERACTION, {"input": body}, token=author.token)
    orders = [
        await make_order(
            api,
            tenant,
            customer,
            1000 + 100 * i,
            placed_at=start + timedelta(days=i),
            due_date=date(2020, 1, 1) if i >= 4 else date(2999, 1, 1),
        )
        for i in range(6)
    ]
    for i in range(6):
        payment = {
            "customerId": customer,
            "kind": "PAYMENT",
            "amount": f"{10 + i}.00",
            "reference": f"P{i}",
            "occurredAt": (start + timedelta(days=i, hours=1)).isoformat(),
        }
        if i < 4:
            # Payment i pays order i (10.00 + i) and leaves 1.00 + i as credit.
            payment["allocations"] = [{"orderId": orders[i], "amount": f"{10 + i}.00"}]
        await api.mutate(RECORD, {"input": payment}, token=token)
    return customer


async def test_customer_page_statements_are_few_and_constant(api, tenant, database):
    customer = await make_page(api, tenant)
    token = tenant.manager.token
    pages = {}
    for n in (2, 5):
        pages[n] = (await api.ok(CUSTOMER_DETAIL, {"id": customer, "n": n}, token=token))[
            "customer"
        ]
        assert api.last_statements == statements_of_the_page(database), (n, api.last_statements)
    page = pages[5]
    rep = {"id": tenant.rep.global_id, "name": page["salesRep"]["name"]}
    assert page["salesRep"] == rep
    assert page["paymentTerms"]["name"] == "Net 30"
    assert page["paymentTerms"]["dueInDays"] == 30
    # Invoiced 10.00 … 15.00 = 75.00; paid 10 … 15 = 75.00; orders 4 and 5 are overdue.
    assert page["balance"] == {
        "totalInvoiced": "75.00",
        "totalPaid": "75.00",
        "currentBalance": "0.00",
        "overdueAmount": "29.00",
    }
    locations = page["locations"]["nodes"]
    assert [(loc["name"], loc["effectiveSalesRep"]["id"]) for loc in locations] == [
        ("Annex", tenant.rep2.global_id),
        ("Depot", tenant.rep.global_id),
    ]
    assert [(c["name"], c["isPrimary"]) for c in page["contacts"]] == [
        ("Ada", True),
        ("Bo", False),
    ]
    interactions = page["interactions"]["nodes"]
    assert [i["body"] for i in interactions] == [f"note {i}" for i in (5, 4, 3, 2, 1)]
    assert [i["author"]["id"] for i in interactions] == [
        (tenant.rep if i % 2 else tenant.rep2).global_id for i in (5, 4, 3, 2, 1)
    ]
    orders = page["orders"]["nodes"]
    assert [(o["total"], o["amountPaid"], o["balanceDue"]) for o in orders] == [
        ("15.00", "0.00", "15.00"),
        ("14.00", "0.00", "14.00"),
        ("13.00", "13.00", "0.00"),
        ("12.00", "12.00", "0.00"),
        ("11.00", "11.00", "0.00"),
    ]
    assert [[line["lineTotal"] for line in o["lines"]] for o in orders] == [
        ["15.00"],
        ["14.00"],
        ["13.00"],
        ["12.00"],
        ["11.00"],
    ]
    transactions = page["transactions"]["nodes"]
    assert [(t["reference"], t["amount"]) for t in transactions] == [
        (f"P{i}", f"{10 + i}.00") for i in (5, 4, 3, 2, 1)
    ]
    assert [t["allocations"] for t in transactions] == [
        [],
        [],
        [{"amount": "13.00"}],
        [{"amount": "12.00"}],
        [{"amount": "11.00"}],
    ]
    # The smaller page is the start of the larger one.
    small = pages[2]
    for connection in ("interactions", "orders", "transactions"):
        assert small[connection]["nodes"] == page[connection]["nodes"][:2]


async def test_fragments_are_looked_into(api, tenant, database):
    """The page's nested fields asked for through fragments are read along all the same."""
    customer = await make_page(api, tenant)
    query = """query($id: ID!) { customer(id: $id) { ...Money
        orders(first: 3) { ... on OrderConnection { nodes { ...Lines } } } } }
      fragment Money on Customer { balance { ... { overdueAmount } } }
      fragment Lines on Order { lines { lineTotal } }"""
    data = await api.ok(query, {"id": customer}, token=tenant.manager.token)
    assert data["customer"]["balance"] == {"overdueAmount": "29.00"}
    assert [o["lines"] for o in data["customer"]["orders"]["nodes"]] == [
        [{"lineTotal": "15.00"}],
        [{"lineTotal": "14.00"}],
        [{"lineTotal": "13.00"}],
    ]
    # Auth, the customer with its overdue amount, the orders with their lines.
    assert api.last_statements == (4 if database.sqlite else 3)


async def test_children_read_with_the_page_in_any_direction(api, tenant, database):
    """Lines and allocations read along with the page: backwards, through edges, and not
    at all when not selected (then the fields still answer, through their loaders)."""
    customer = await make_page(api, tenant)
    token = tenant.manager.token
    backwards = await api.ok(
        """query($id: ID!) { customer(id: $id) {
          orders(last: 2) { edges { node { total lines { quantity lineTotal } } }
            pageInfo { hasPreviousPage hasNextPage } }
          transactions(last: 3) { nodes { reference allocations { amount order { id } } } } } }""",
        {"id": customer},
        token=token,
    )
    orders = backwards["customer"]["orders"]
    assert [e["node"] for e in orders["edges"]] == [
        {"total": "11.00", "lines": [{"quantity": 1, "lineTotal": "11.00"}]},
        {"total": "10.00", "lines": [{"quantity": 1, "lineTotal": "10.00"}]},
    ]
    assert orders["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}
    transactions = backwards["customer"]["transactions"]["nodes"]
    assert [t["reference"] for t in transactions] == ["P2", "P1", "P0"]
    assert [[a["amount"] for a in t["allocations"]] for t in transactions] == [
        ["12.00"],
        ["11.00"],
        ["10.00"],
    ]
    assert all(pk(t["allocations"][0]["order"]["id"]) for t in transactions)
    # Auth, customer, orders + lines, transactions + allocations, the allocations' orders.
    assert api.last_statements == (6 if database.sqlite else 5)

    # Nothing below the pages selected: no joins, and the balance without its subquery.
    plain = await api.ok(
        """query($id: ID!) { customer(id: $id) { balance { currentBalance }
          orders(first: 2) { nodes { total } } transactions(first: 2) { nodes { amount } } } }""",
        {"id": customer},
        token=token,
    )
    assert plain["customer"] == {
        "balance": {"currentBalance": "0.00"},
        "orders": {"nodes": [{"total": "15.00"}, {"total": "14.00"}]},
        "transactions": {"nodes": [{"amount": "15.00"}, {"amount": "14.00"}]},
    }
    assert api.last_statements == (5 if database.sqlite else 4)


async def test_root_lists_read_children_with_a_search_and_a_cursor(api, tenant):
    """The root orders list (searching, after a cursor) and transactions list, with lines
    and allocations read along: the same answers as through the loaders."""
    customer = await make_page(api, tenant)
    token = tenant.manager.token
    query = """query($after: String, $customer: ID!) {
      orders(search: "ledger-test", first: 2, after: $after) {
        nodes { total lines { sku quantity } } pageInfo { endCursor hasNextPage } }
      transactions(first: 3, filter: {customerIds: [$customer]}) {
        nodes { reference allocations { amount } } } }"""
    first = await api.ok(query, {"after": None, "customer": customer}, token=token)
    assert [o["total"] for o in first["orders"]["nodes"]] == ["15.00", "14.00"]
    assert first["orders"]["nodes"][0]["lines"] == [{"sku": "LEDGER-TEST", "quantity": 1}]
    assert first["transactions"]["nodes"] == [
        {"reference": "P5", "allocations": []},
        {"reference": "P4", "allocations": []},
        {"reference": "P3", "allocations": [{"amount": "13.00"}]},
    ]
    cursor = first["orders"]["pageInfo"]["endCursor"]
    second = await api.ok(query, {"after": cursor, "customer": customer}, token=token)
    assert [o["total"] for o in second["orders"]["nodes"]] == ["13.00", "12.00"]
    assert [len(o["lines"]) for o in second["orders"]["nodes"]] == [1, 1]
    assert second["orders"]["pageInfo"]["hasNextPage"] is True
