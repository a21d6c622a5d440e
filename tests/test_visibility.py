"""Who sees what: with ASSIGNED_ONLY a REP sees only their book, through the tenancy hook."""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import AuditEvent, Customer, Location
from db.session import Scope
from resolvers.ids import encode_id
from resolvers.text import name_key
from tests.orders_support import make_customer, make_product
from tests.test_customers_list import STATEMENTS_QUERY
from tests.test_orders import create, line

SET_VISIBILITY = """mutation($v: RepVisibility!) {
  companyUpdate(input: {repVisibility: $v}) { company { repVisibility } userErrors { code } } }"""


async def _customer(database, tenant, name: str, rep_id: int | None) -> int:
    # Direct insert: these tests are about scoping, not about customerCreate.
    async with database.transaction(Scope(tenant.company_id)) as session:
        row = Customer(
            company_id=tenant.company_id, name=name, name_key=name_key(name), sales_rep_id=rep_id
        )
        session.add(row)
        await session.flush()
        return row.id


async def _location(database, tenant, customer_id: int, rep_id: int | None) -> int:
    async with database.transaction(Scope(tenant.company_id)) as session:
        row = Location(
            company_id=tenant.company_id,
            customer_id=customer_id,
            name="Branch",
            name_key="branch",
            sales_rep_id=rep_id,
        )
        session.add(row)
        await session.flush()
        return row.id


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def test_only_admin_changes_the_setting_and_it_is_audited(api, tenant, database):
    for member in (tenant.manager, tenant.rep):
        body = await api.gql(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=member.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    assert done["company"] == {"repVisibility": "ASSIGNED_ONLY"}
    async with database.transaction(Scope(tenant.company_id)) as session:
        events = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "company.update"))
        ).scalars()
        assert [(e.actor_id, e.changes) for e in events] == [
            (tenant.admin.id, {"rep_visibility": ["ALL_CUSTOMERS", "ASSIGNED_ONLY"]})
        ]


async def test_rep_sees_only_their_book_when_limited(api, tenant, database):
    own = await _customer(database, tenant, "Own Customer", tenant.rep.id)
    via_location = await _customer(database, tenant, "Via Location", tenant.rep2.id)
    await _location(database, tenant, via_location, tenant.rep.id)
    coworkers = await _customer(database, tenant, "Coworker's", tenant.rep2.id)
    unassigned = await _customer(database, tenant, "Unassigned", None)
    ids = [encode_id("Customer", pk) for pk in (own, via_location, coworkers, unassigned)]

    everything = await api.ok(NODES, {"ids": ids}, token=tenant.rep.token)
    assert everything["nodes"] == [{"id": i} for i in ids]

    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    limited = await api.ok(NODES, {"ids": ids}, token=tenant.rep.token)
    assert limited["nodes"] == [{"id": ids[0]}, {"id": ids[1]}, None, None]
    # A hidden customer looks exactly like one of another company: simply not found.
    hidden = await api.ok(
        "query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } }",
        {"id": ids[2]},
        token=tenant.rep.token,
    )
    assert hidden == {"customer": None, "node": None}
    # Managers and admins still see everything.
    for member in (tenant.manager, tenant.admin):
        assert (await api.ok(NODES, {"ids": ids}, token=member.token))["nodes"] == [
            {"id": i} for i in ids
        ]


async def test_reassigning_moves_a_customer_between_books_at_once(api, tenant, database):
    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    pk = await _customer(database, tenant, "Moving Co", tenant.rep.id)
    gid = encode_id("Customer", pk)
    query = "query($id: ID!) { customer(id: $id) { name } }"
    assert (await api.ok(query, {"id": gid}, token=tenant.rep.token))["customer"] == {
        "name": "Moving Co"
    }
    assert (await api.ok(query, {"id": gid}, token=tenant.rep2.token))["customer"] is None

    async with database.transaction(Scope(tenant.company_id)) as session:
        await session.execute(
            update(Customer).where(Customer.id == pk).values(sales_rep_id=tenant.rep2.id)
        )
    assert (await api.ok(query, {"id": gid}, token=tenant.rep.token))["customer"] is None
    assert (await api.ok(query, {"id": gid}, token=tenant.rep2.token))["customer"] == {
        "name": "Moving Co"
    }


async def test_company_settings_validation_writes_nothing(api, tenant):
    body = await api.ok(
        """mutation { companyUpdate(input: {timezone: "Mars/Olympus", repVisibility: ASSIGNED_ONLY})
           { company { repVisibility } userErrors { field code } } }""",
        token=tenant.admin.token,
    )
    assert body["companyUpdate"] == {
        "company": None,
        "userErrors": [{"field": ["input", "timezone"], "code": "INVALID"}],
    }
    company = await api.ok("{ company { repVisibility timezone } }", token=tenant.rep.token)
    assert company["company"] == {"repVisibility": "ALL_CUSTOMERS", "timezone": "UTC"}


async def test_lists_and_statement_counts_respect_the_book(api, tenant, database):
    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    names = []
    for i in range(30):
        rep = tenant.rep.id if i % 3 == 0 else tenant.rep2.id
        pk = await _customer(database, tenant, f"Book {i:02}", rep)
        if i % 3 == 0:
            names.append(f"Book {i:02}")
        if i == 1:  # rep2's customer, but rep overrides one of its locations
            await _location(database, tenant, pk, tenant.rep.id)
            names.append("Book 01")
    names.sort()
    listed = await api.ok(
        "{ customers(first: 100) { totalCount nodes { name } } locations { totalCount } }",
        token=tenant.rep.token,
    )
    assert [n["name"] for n in listed["customers"]["nodes"]] == names
    assert listed["customers"]["totalCount"] == 11
    assert listed["locations"]["totalCount"] == 1
    everyone = await api.ok("{ customers { totalCount } }", token=tenant.manager.token)
    assert everyone["customers"]["totalCount"] == 30

    counts = {}
    for size in (5, 11):
        data = await api.ok(STATEMENTS_QUERY, {"first": size}, token=tenant.rep.token)
        assert len(data["customers"]["nodes"]) == size
        counts[size] = api.last_statements
    assert counts[5] == counts[11], counts


async def test_customers_csv_export_respects_the_book(api, tenant, database):
    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    await _customer(database, tenant, "Mine", tenant.rep.id)
    await _customer(database, tenant, "Theirs", tenant.rep2.id)

    async def names(token: str) -> list[str]:
        response = await api.client.get(
            "/export/customers.csv",
            params={"columns": "name"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        return response.text.splitlines()[1:]

    assert await names(tenant.rep.token) == ["Mine"]
    assert await names(tenant.rep2.token) == ["Theirs"]
    assert await names(tenant.manager.token) == ["Mine", "Theirs"]


async def test_orders_interactions_and_their_exports_respect_the_book(api, tenant):
    mine, _ = await make_customer(api, tenant, "Mine & Co")
    theirs, _ = await make_customer(api, tenant, "Theirs Ltd")
    for customer, rep in ((mine, tenant.rep), (theirs, tenant.rep2)):
        await api.mutate(
            """mutation($c: ID!, $s: ID) { customerSetSalesRep(customerId: $c, staffId: $s) {
                 customer { id } userErrors { code } } }""",
            {"c": customer, "s": rep.global_id},
            token=tenant.manager.token,
        )
    widget = await make_product(api, tenant, "W-1", "Widget", "10.00")
    mine_order = await create(
        api, tenant.manager.token, mine, [line(widget, 1)], poNumber="PO-M", status="SUBMITTED"
    )
    theirs_order = await create(
        api, tenant.manager.token, theirs, [line(widget, 2)], poNumber="PO-T", status="SUBMITTED"
    )
    for customer in (mine, theirs):
        await api.mutate(
            """mutation($c: ID!) { interactionCreate(input: {customerId: $c, kind: CALL, body: "Hi"})
                 { interaction { id } userErrors { code } } }""",
            {"c": customer},
            token=tenant.manager.token,
        )
    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)

    query = """{ orders { totalCount nodes { poNumber } }
                 interactions { totalCount nodes { customer { name } } } }"""
    seen = await api.ok(query, token=tenant.rep.token)
    assert seen["orders"] == {"totalCount": 1, "nodes": [{"poNumber": "PO-M"}]}
    assert seen["interactions"] == {"totalCount": 1, "nodes": [{"customer": {"name": "Mine & Co"}}]}
    everyone = await api.ok(query, token=tenant.manager.token)
    assert everyone["orders"]["totalCount"] == 2
    assert everyone["interactions"]["totalCount"] == 2

    hidden = await api.ok(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [mine_order["id"], theirs_order["id"]]},
        token=tenant.rep.token,
    )
    assert hidden["nodes"] == [{"id": mine_order["id"]}, None]

    csv = await api.client.get(
        "/export/orders.csv", headers={"Authorization": f"Bearer {tenant.rep.token}"}
    )
    assert csv.status_code == 200
    rows = csv.text.splitlines()
    assert len(rows) == 2 and "PO-M" in rows[1]

    # Writing to a hidden customer is "not found", exactly as for another company's.
    refused = await api.ok(
        """mutation($c: ID!) { interactionCreate(input: {customerId: $c, kind: CALL, body: "x"})
             { interaction { id } userErrors { field code } } }""",
        {"c": theirs},
        token=tenant.rep.token,
    )
    assert refused["interactionCreate"]["interaction"] is None
    assert refused["interactionCreate"]["userErrors"][0]["code"] == "NOT_FOUND"
    search = """{ search(query: "ltd") { __typename ... on Customer { name } }
                  prefix: search(query: "theirs") { ... on Customer { name } }
                  orders: search(query: "PO-") { ... on Order { poNumber } } }"""
    assert await api.ok(search, token=tenant.rep.token) == {
        "search": [],
        "prefix": [],
        "orders": [{"poNumber": "PO-M"}],
    }
    seen_by_manager = await api.ok(search, token=tenant.manager.token)
    assert seen_by_manager["search"] == [{"__typename": "Customer", "name": "Theirs Ltd"}]
    assert seen_by_manager["prefix"] == [{"name": "Theirs Ltd"}]
    report = await api.ok(
        "{ interactionsReport(groupBy: [CUSTOMER]) { customer { name } count } }",
        token=tenant.rep.token,
    )
    assert report["interactionsReport"] == [{"customer": {"name": "Mine & Co"}, "count": 1}]
    # By staff and period (read from the author index on SQLite): still only the book.
    by_staff = "{ interactionsReport(groupBy: [STAFF, MONTH]) { staff { name } count } }"
    for token, count in ((tenant.rep.token, 1), (tenant.manager.token, 2)):
        rows = (await api.ok(by_staff, token=token))["interactionsReport"]
        assert sum(row["count"] for row in rows) == count

    # A rep's reports count only their book; managers' count everything.
    reports = """{ salesReport(groupBy: [CUSTOMER]) { rows { customer { name } total } totals { total } }
                   customerSummary { total }
                   transactions { totalCount } }"""
    assert await api.ok(reports, token=tenant.rep.token) == {
        "salesReport": {
            "rows": [{"customer": {"name": "Mine & Co"}, "total": "10.00"}],
            "totals": {"total": "10.00"},
        },
        "customerSummary": {"total": 1},
        "transactions": {"totalCount": 0},
    }
    manager_view = await api.ok(reports, token=tenant.manager.token)
    assert manager_view["salesReport"]["totals"] == {"total": "30.00"}
    assert manager_view["customerSummary"] == {"total": 2}
    sales_csv = await api.client.get(
        "/export/sales.csv",
        params={"groupBy": "CUSTOMER"},
        headers={"Authorization": f"Bearer {tenant.rep.token}"},
    )
    assert sales_csv.status_code == 200, sales_csv.text
    assert "Theirs" not in sales_csv.text and "Mine & Co" in sales_csv.text


async def test_a_deleted_customer_leaves_the_book_and_comes_back_with_it(api, tenant, database):
    own = encode_id("Customer", await _customer(database, tenant, "Own Customer", tenant.rep.id))
    other = encode_id("Customer", await _customer(database, tenant, "Also Own", tenant.rep.id))
    await api.mutate(SET_VISIBILITY, {"v": "ASSIGNED_ONLY"}, token=tenant.admin.token)
    delete = "mutation($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code } } }"
    restore = (
        "mutation($id: ID!) { customerRestore(id: $id) { customer { id } userErrors { code } } }"
    )
    listed = "query($ids: [ID!]!) { nodes(ids: $ids) { id } customers { totalCount } }"
    await api.mutate(delete, {"id": own}, token=tenant.manager.token)
    # Both hooks at once: the book and the recycle bin.
    assert await api.ok(listed, {"ids": [own, other]}, token=tenant.rep.token) == {
        "nodes": [None, {"id": other}],
        "customers": {"totalCount": 1},
    }
    await api.mutate(restore, {"id": own}, token=tenant.manager.token)
    assert await api.ok(listed, {"ids": [own, other]}, token=tenant.rep.token) == {
        "nodes": [{"id": own}, {"id": other}],
        "customers": {"totalCount": 2},
    }
