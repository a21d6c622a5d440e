"""Locations: create/update/delete, rep override and effective rep, lists and filters."""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import AuditEvent, Location

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
CREATE = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
  location { id name phone email address { line1 city region postalCode country }
    salesRep { id } effectiveSalesRep { id } orderCount totalSales version customer { id } }
  userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: LocationUpdateInput!) { locationUpdate(id: $id, input: $input) {
  location { id name salesRep { id } effectiveSalesRep { id } version }
  userErrors { field message code } } }"""
DELETE = (
    """mutation($id: ID!) { locationDelete(id: $id) { deletedId userErrors { field code } } }"""
)
LOCATIONS = """query($f: LocationFilter, $first: Int, $after: String) {
  locations(filter: $f, first: $first, after: $after) {
    totalCount nodes { name customer { name } effectiveSalesRep { id } }
    pageInfo { hasNextPage endCursor } } }"""


async def customer(api, tenant, name: str, rep=None) -> str:
    fields = {"name": name, "salesRepId": rep.global_id if rep else None}
    payload = await api.mutate(CREATE_CUSTOMER, {"input": fields}, token=tenant.rep.token)
    return payload["customer"]["id"]


async def location(api, tenant, customer_id: str, name: str, **fields) -> dict:
    payload = await api.mutate(
        CREATE,
        {"input": {"customerId": customer_id, "name": name, **fields}},
        token=tenant.rep.token,
    )
    return payload["location"]


async def test_create_with_override_and_effective_rep(api, tenant):
    acme = await customer(api, tenant, "Acme", tenant.rep)
    inherits = await location(
        api,
        tenant,
        acme,
        "Downtown",
        phone="555-010-1000",
        email="Downtown@Acme.example",
        address={"line1": "1 Main", "city": "Town", "region": "CA", "postalCode": "90001"},
    )
    assert inherits == {
        "id": inherits["id"],
        "name": "Downtown",
        "phone": "555-010-1000",
        "email": "downtown@acme.example",
        "address": {
            "line1": "1 Main",
            "city": "Town",
            "region": "CA",
            "postalCode": "90001",
            "country": None,
        },
        "salesRep": None,
        "effectiveSalesRep": {"id": tenant.rep.global_id},
        "orderCount": 0,
        "totalSales": "0.00",
        "version": 1,
        "customer": {"id": acme},
    }
    override = await location(api, tenant, acme, "Airport", salesRepId=tenant.rep2.global_id)
    assert override["salesRep"] == {"id": tenant.rep2.global_id}
    assert override["effectiveSalesRep"] == {"id": tenant.rep2.global_id}

    back = await api.mutate(
        UPDATE,
        {"id": override["id"], "input": {"salesRepId": None, "expectedVersion": 1}},
        token=tenant.rep.token,
    )
    assert back["location"]["salesRep"] is None
    assert back["location"]["effectiveSalesRep"] == {"id": tenant.rep.global_id}
    assert back["location"]["version"] == 2
    stale = await api.ok(
        UPDATE,
        {"id": override["id"], "input": {"name": "X", "expectedVersion": 1}},
        token=tenant.rep.token,
    )
    assert stale["locationUpdate"]["userErrors"][0]["code"] == "STALE"

    listed = await api.ok(
        """query($id: ID!) { customer(id: $id) { locations {
             totalCount nodes { name } } } }""",
        {"id": acme},
        token=tenant.rep.token,
    )
    assert listed["customer"]["locations"] == {
        "totalCount": 2,
        "nodes": [{"name": "Airport"}, {"name": "Downtown"}],
    }


async def test_bad_input_writes_nothing(api, tenant, other_tenant, database):
    acme = await customer(api, tenant, "Acme")
    theirs = await customer(api, other_tenant, "Theirs")
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             staff { id } userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    body = await api.ok(
        CREATE,
        {
            "input": {
                "customerId": acme,
                "name": "",
                "email": "bad",
                "salesRepId": tenant.rep2.global_id,
            }
        },
        token=tenant.rep.token,
    )
    assert [(e["field"], e["code"]) for e in body["locationCreate"]["userErrors"]] == [
        (["input", "name"], "REQUIRED"),
        (["input", "email"], "INVALID"),
        (["input", "salesRepId"], "INACTIVE_STAFF"),
    ]
    other = await api.ok(
        CREATE, {"input": {"customerId": theirs, "name": "Sneaky"}}, token=tenant.rep.token
    )
    assert other["locationCreate"]["userErrors"] == [
        {"field": ["input", "customerId"], "message": "No such customer.", "code": "NOT_FOUND"}
    ]
    async with database.transaction(None) as session:
        written = await session.execute(
            select(Location.id).where(
                Location.company_id.in_([tenant.company_id, other_tenant.company_id])
            )
        )
        assert written.all() == []


async def test_delete_and_audit(api, tenant, other_tenant, database):
    acme = await customer(api, tenant, "Acme")
    gone = await location(api, tenant, acme, "Gone")
    theirs = await location(api, other_tenant, await customer(api, other_tenant, "T"), "Theirs")
    refused = await api.ok(DELETE, {"id": theirs["id"]}, token=tenant.rep.token)
    assert refused["locationDelete"]["userErrors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    deleted = await api.mutate(DELETE, {"id": gone["id"]}, token=tenant.rep.token)
    assert deleted["deletedId"] == gone["id"]
    count = await api.ok(
        "query($id: ID!) { customer(id: $id) { locations { totalCount } } }",
        {"id": acme},
        token=tenant.rep.token,
    )
    assert count["customer"]["locations"]["totalCount"] == 0
    async with database.transaction(None) as session:
        actions = (
            await session.execute(
                select(AuditEvent.action)
                .where(
                    AuditEvent.company_id == tenant.company_id,
                    AuditEvent.entity_type == "Location",
                )
                .order_by(AuditEvent.id)
            )
        ).scalars()
        assert list(actions) == ["location.create", "location.delete"]


async def test_root_list_sorted_by_customer_then_name_with_filters(api, tenant, other_tenant):
    zeta = await customer(api, tenant, "Zeta Foods", tenant.rep)
    alpha = await customer(api, tenant, "alpha Market", tenant.rep2)
    await location(api, tenant, zeta, "Airport", address={"city": "Springfield"})
    await location(api, tenant, zeta, "Mall", salesRepId=tenant.rep2.global_id)
    await location(api, tenant, alpha, "West")
    await location(api, tenant, alpha, "East", address={"city": "Shelbyville"})
    await location(api, other_tenant, await customer(api, other_tenant, "Other"), "Hidden")

    everything = (await api.ok(LOCATIONS, token=tenant.rep.token))["locations"]
    assert everything["totalCount"] == 4
    assert [(n["customer"]["name"], n["name"]) for n in everything["nodes"]] == [
        ("alpha Market", "East"),
        ("alpha Market", "West"),
        ("Zeta Foods", "Airport"),
        ("Zeta Foods", "Mall"),
    ]
    # Pages of one are complete and in the same order.
    names, after = [], None
    while True:
        page = (await api.ok(LOCATIONS, {"first": 1, "after": after}, token=tenant.rep.token))[
            "locations"
        ]
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["East", "West", "Airport", "Mall"]

    by_rep = await api.ok(
        LOCATIONS, {"f": {"salesRepIds": [tenant.rep2.global_id]}}, token=tenant.rep.token
    )
    assert [n["name"] for n in by_rep["locations"]["nodes"]] == ["East", "West", "Mall"]
    by_customer = await api.ok(LOCATIONS, {"f": {"customerIds": [zeta]}}, token=tenant.rep.token)
    assert [n["name"] for n in by_customer["locations"]["nodes"]] == ["Airport", "Mall"]
    by_search = await api.ok(LOCATIONS, {"f": {"search": "ville"}}, token=tenant.rep.token)
    assert [n["name"] for n in by_search["locations"]["nodes"]] == ["East"]
    by_name = await api.ok(LOCATIONS, {"f": {"search": "AIR"}}, token=tenant.rep.token)
    assert [n["name"] for n in by_name["locations"]["nodes"]] == ["Airport"]
    bad = await api.gql(LOCATIONS, {"f": {"customerIds": ["junk"]}}, token=tenant.rep.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_stats_columns_and_nested_paging(api, tenant, database):
    acme = await customer(api, tenant, "Acme")
    for name in ("C", "A", "B"):
        await location(api, tenant, acme, name)
    # Orders (another engineer's work) maintain these columns; set them directly here.
    async with database.transaction(None) as session:
        await session.execute(
            update(Location)
            .where(Location.company_id == tenant.company_id, Location.name == "B")
            .values(order_count=3, total_sales_cents=123450)
        )
    query = """query($id: ID!, $after: String) { customer(id: $id) {
      locations(first: 2, after: $after) { totalCount nodes { name orderCount totalSales }
        pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""
    first = (await api.ok(query, {"id": acme}, token=tenant.rep.token))["customer"]["locations"]
    assert first["nodes"] == [
        {"name": "A", "orderCount": 0, "totalSales": "0.00"},
        {"name": "B", "orderCount": 3, "totalSales": "1234.50"},
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (
        await api.ok(
            query, {"id": acme, "after": first["pageInfo"]["endCursor"]}, token=tenant.rep.token
        )
    )["customer"]["locations"]
    assert [n["name"] for n in second["nodes"]] == ["C"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["totalCount"] == 3
