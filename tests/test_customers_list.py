"""The customer list: every filter, every sort over the whole company, stable pages,
stats fields, and a constant number of SQL statements per page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from db.enums import CustomerKind, CustomerStatus
from db.models import Contact, Customer, Location, PaymentTerms, utcnow
from resolvers.ids import encode_id
from resolvers.text import name_key

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
LIST = """query($f: CustomerFilter, $s: [CustomerSort!], $first: Int, $after: String,
                $last: Int, $before: String) {
  customers(filter: $f, sort: $s, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { name }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

# name -> (order_count, total_sales_cents, days since last order or None, balance_cents)
STATS = {
    "Bravo": (2, 30001, 10, 500),
    "alpha": (4, 40000, 400, 0),
    "Charlie": (1, 10000, 100, -250),
    "Delta": (0, 0, None, 0),
    "Écho": (3, 30001, 800, 12000),
}


async def make_customers(api, tenant, database) -> dict[str, str]:
    ids = {}
    for name in STATS:
        payload = await api.mutate(CREATE, {"input": {"name": name}}, token=tenant.rep.token)
        ids[name] = payload["customer"]["id"]
    # Orders (another engineer's work) maintain these columns; they are set directly here.
    now = utcnow()
    async with database.transaction(None) as session:
        for name, (count, total, days, balance) in STATS.items():
            await session.execute(
                update(Customer)
                .where(Customer.company_id == tenant.company_id, Customer.name == name)
                .values(
                    order_count=count,
                    total_sales_cents=total,
                    last_order_at=None if days is None else now - timedelta(days=days),
                    balance_cents=balance,
                )
            )
    return ids


async def names(api, tenant, variables=None) -> list[str]:
    data = await api.ok(LIST, {"first": 250, **(variables or {})}, token=tenant.rep.token)
    return [n["name"] for n in data["customers"]["nodes"]]


async def walk(api, tenant, variables, size: int) -> list[str]:
    """Every page of `size`, forwards."""
    seen, after = [], None
    while True:
        page = (
            await api.ok(LIST, {**variables, "first": size, "after": after}, token=tenant.rep.token)
        )["customers"]
        seen += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def walk_back(api, tenant, variables, size: int) -> list[str]:
    """Every page of `size`, backwards from the end."""
    seen, before = [], None
    while True:
        page = (
            await api.ok(
                LIST, {**variables, "last": size, "before": before}, token=tenant.rep.token
            )
        )["customers"]
        seen = [n["name"] for n in page["nodes"]] + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen
        before = page["pageInfo"]["startCursor"]


SORTS = {
    ("NAME", "ASC"): ["alpha", "Bravo", "Charlie", "Delta", "Écho"],
    ("NAME", "DESC"): ["Écho", "Delta", "Charlie", "Bravo", "alpha"],
    ("CREATED_AT", "ASC"): ["Bravo", "alpha", "Charlie", "Delta", "Écho"],
    # Ties (Bravo and Écho at 300.01) are broken by id, in the sort's direction.
    ("TOTAL_SALES", "DESC"): ["alpha", "Écho", "Bravo", "Charlie", "Delta"],
    ("TOTAL_SALES", "ASC"): ["Delta", "Charlie", "Bravo", "Écho", "alpha"],
    ("ORDER_COUNT", "DESC"): ["alpha", "Écho", "Bravo", "Charlie", "Delta"],
    # Averages: Bravo 150.01 (150.005 half up), alpha 100.00, Charlie 100.00, Écho 100.00.
    ("AVERAGE_ORDER_TOTAL", "DESC"): ["Bravo", "Écho", "Charlie", "alpha", "Delta"],
    ("AVERAGE_ORDER_TOTAL", "ASC"): ["Delta", "alpha", "Charlie", "Écho", "Bravo"],
    # Never ordered sorts as the oldest.
    ("LAST_ORDER_AT", "DESC"): ["Bravo", "Charlie", "alpha", "Écho", "Delta"],
    ("LAST_ORDER_AT", "ASC"): ["Delta", "Écho", "alpha", "Charlie", "Bravo"],
    ("BALANCE", "DESC"): ["Écho", "Bravo", "Delta", "alpha", "Charlie"],
}


async def test_every_sort_orders_the_whole_company_with_stable_pages(api, tenant, database):
    await make_customers(api, tenant, database)
    for (field, direction), expected in SORTS.items():
        variables = {"s": [{"field": field, "direction": direction}]}
        assert await names(api, tenant, variables) == expected, (field, direction)
        assert await walk(api, tenant, variables, 2) == expected, (field, direction)
        assert await walk_back(api, tenant, variables, 2) == expected, (field, direction)
    # Default: by name, case- and accent-insensitive.
    assert await names(api, tenant) == SORTS[("NAME", "ASC")]
    # A second sort key breaks ties of the first.
    two_keys = [
        {"field": "TOTAL_SALES", "direction": "DESC"},
        {"field": "NAME", "direction": "DESC"},
    ]
    assert await walk(api, tenant, {"s": two_keys}, 1) == [
        "alpha",
        "Écho",
        "Bravo",
        "Charlie",
        "Delta",
    ]


async def test_stats_fields(api, tenant, database):
    ids = await make_customers(api, tenant, database)
    query = """query($id: ID!) { customer(id: $id) {
      orderCount totalSales averageOrderTotal lastOrderAt engagement } }"""
    results = {}
    for name, customer_id in ids.items():
        results[name] = (await api.ok(query, {"id": customer_id}, token=tenant.rep.token))[
            "customer"
        ]
    assert {
        n: (r["orderCount"], r["totalSales"], r["averageOrderTotal"]) for n, r in results.items()
    } == {
        "Bravo": (2, "300.01", "150.01"),
        "alpha": (4, "400.00", "100.00"),
        "Charlie": (1, "100.00", "100.00"),
        "Delta": (0, "0.00", None),
        "Écho": (3, "300.01", "100.00"),
    }
    assert {n: r["engagement"] for n, r in results.items()} == {
        "Bravo": "ENGAGED",
        "alpha": "LAPSED",
        "Charlie": "ENGAGED",
        "Delta": "NEVER_ORDERED",
        "Écho": "LAPSED",
    }
    assert results["Delta"]["lastOrderAt"] is None
    assert results["Bravo"]["lastOrderAt"].endswith("+00:00")


async def test_every_filter(api, tenant, other_tenant, database):
    ids = await make_customers(api, tenant, database)
    await make_customers(api, other_tenant, database)
    async with database.transaction(None) as session:
        net30 = await session.scalar(
            select(PaymentTerms.id).where(
                PaymentTerms.company_id == tenant.company_id, PaymentTerms.name == "Net 30"
            )
        )
        await session.execute(
            update(Customer)
            .where(Customer.company_id == tenant.company_id, Customer.name.in_(["Bravo", "Delta"]))
            .values(
                sales_rep_id=tenant.rep2.id,
                payment_terms_id=net30,
                kind=CustomerKind.INDIVIDUAL,
                status=CustomerStatus.PROSPECT,
            )
        )
    await api.mutate(
        """mutation($id: ID!) { customerUpdate(id: $id, input: {billingStatus: CREDIT_HOLD}) {
             customer { id } userErrors { code } } }""",
        {"id": ids["Charlie"]},
        token=tenant.rep.token,
    )
    await api.mutate(
        """mutation($id: ID!) { customerArchive(id: $id) { customer { id } userErrors { code } } }""",
        {"id": ids["alpha"]},
        token=tenant.rep.token,
    )
    cases = [
        ({}, ["Bravo", "Charlie", "Delta", "Écho"]),
        ({"search": "ECH"}, ["Écho"]),
        ({"search": "ar"}, ["Charlie"]),
        ({"search": "%"}, []),
        ({"statuses": ["PROSPECT"]}, ["Bravo", "Delta"]),
        ({"statuses": ["ARCHIVED", "ACTIVE"]}, ["alpha", "Charlie", "Écho"]),
        ({"billingStatuses": ["CREDIT_HOLD"]}, ["Charlie"]),
        ({"salesRepIds": [tenant.rep2.global_id]}, ["Bravo", "Delta"]),
        ({"salesRepIds": [other_tenant.rep2.global_id]}, []),
        ({"engagement": ["ENGAGED"]}, ["Bravo", "Charlie"]),
        ({"engagement": ["LAPSED", "NEVER_ORDERED"]}, ["Delta", "Écho"]),
        ({"kinds": ["INDIVIDUAL"]}, ["Bravo", "Delta"]),
        ({"kinds": ["BUSINESS"]}, ["Charlie", "Écho"]),
        ({"paymentTermsIds": [encode_id("PaymentTerms", net30)]}, ["Bravo", "Delta"]),
        ({"hasBalance": True}, ["Bravo", "Écho"]),
        ({"hasBalance": False}, ["Charlie", "Delta"]),
        ({"hasBalance": True, "engagement": ["ENGAGED"]}, ["Bravo"]),
    ]
    for filter, expected in cases:
        data = await api.ok(LIST, {"f": filter}, token=tenant.rep.token)
        assert [n["name"] for n in data["customers"]["nodes"]] == expected, filter
        assert data["customers"]["totalCount"] == len(expected), filter
    bad = await api.gql(LIST, {"f": {"salesRepIds": ["nope"]}}, token=tenant.rep.token)
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert "Not a valid Staff id: 'nope'" in bad["errors"][0]["message"]


STATEMENTS_QUERY = """query($first: Int) { customers(first: $first) {
  totalCount
  nodes {
    id name salesRep { name } paymentTerms { name } partialPaymentsAllowed
    orderCount totalSales averageOrderTotal lastOrderAt engagement
    primaryContact { name email }
    contacts { name }
    locations { totalCount nodes { name salesRep { name } effectiveSalesRep { name } } }
    tags lastInteractionAt nextTask { title dueOn overdue assignee { name } }
  } } }"""


async def test_statement_count_is_the_same_for_10_100_and_250_rows(api, tenant, database):
    # 250 customers with locations and contacts: inserted directly, since creating
    # them one mutation at a time would make this test slow.
    async with database.transaction(None) as session:
        terms = await session.scalar(
            select(PaymentTerms.id).where(PaymentTerms.company_id == tenant.company_id).limit(1)
        )
        customers = [
            Customer(
                company_id=tenant.company_id,
                name=f"Customer {i:03}",
                name_key=name_key(f"Customer {i:03}"),
                sales_rep_id=(tenant.rep.id, tenant.rep2.id, None)[i % 3],
                payment_terms_id=terms,
                order_count=i,
                total_sales_cents=i * 1000,
                last_order_at=utcnow() - timedelta(days=i * 3) if i else None,
            )
            for i in range(250)
        ]
        session.add_all(customers)
        await session.flush()
        for i, customer in enumerate(customers):
            session.add_all(
                Location(
                    company_id=tenant.company_id,
                    customer_id=customer.id,
                    name=f"Site {j}",
                    name_key=f"site {j}",
                    sales_rep_id=tenant.rep2.id if j == 1 else None,
                )
                for j in range(i % 3)
            )
            session.add_all(
                Contact(
                    company_id=tenant.company_id,
                    customer_id=customer.id,
                    name=f"Person {j}",
                    is_primary=j == 0,
                )
                for j in range(i % 2 + 1)
            )
    counts = {}
    for size in (10, 100, 250):
        data = await api.ok(STATEMENTS_QUERY, {"first": size}, token=tenant.rep.token)
        counts[size] = api.last_statements
        nodes = data["customers"]["nodes"]
        assert len(nodes) == size
        assert data["customers"]["totalCount"] == 250
    assert counts[10] == counts[100] == counts[250], counts
    # Auth, page, count and one per loader (staff twice: reps, then effective reps; tags
    # and next tasks one each).
    assert counts[10] <= 14, counts
    rep2_name = (await api.ok("{ me { name } }", token=tenant.rep2.token))["me"]["name"]
    # Customer 004: rep 2, one location inheriting that rep, one (primary) contact.
    fourth = nodes[4]
    assert fourth["name"] == "Customer 004"
    assert fourth["salesRep"] == {"name": rep2_name}
    assert fourth["paymentTerms"] is not None
    assert fourth["orderCount"] == 4
    assert fourth["totalSales"] == "40.00"
    assert fourth["averageOrderTotal"] == "10.00"
    assert fourth["engagement"] == "ENGAGED"
    assert fourth["primaryContact"] == {"name": "Person 0", "email": None}
    assert fourth["contacts"] == [{"name": "Person 0"}]
    assert fourth["locations"] == {
        "totalCount": 1,
        "nodes": [{"name": "Site 0", "salesRep": None, "effectiveSalesRep": {"name": rep2_name}}],
    }
    # Customer 005: no rep; its second location has its own.
    fifth = nodes[5]
    assert fifth["salesRep"] is None
    assert fifth["locations"]["nodes"] == [
        {"name": "Site 0", "salesRep": None, "effectiveSalesRep": None},
        {
            "name": "Site 1",
            "salesRep": {"name": rep2_name},
            "effectiveSalesRep": {"name": rep2_name},
        },
    ]
    assert fifth["contacts"] == [{"name": "Person 0"}, {"name": "Person 1"}]
    assert nodes[0]["engagement"] == "NEVER_ORDERED"
    assert nodes[0]["averageOrderTotal"] is None
