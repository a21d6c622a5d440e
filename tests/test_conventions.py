"""One convention per concept (issue 17): every export takes the GraphQL filter's or
arguments' names and refuses others; day ranges are Dates in the company's time zone;
sorts are spelt as the GraphQL enum everywhere; UNAUTHENTICATED says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graphql import GraphQLInputObjectType
from sqlalchemy import update

from db.models import AuthToken
from resolvers.ids import decode_id, encode_id
from schema import schema
from server.export_params import BY_PATH
from tests.orders_support import make_customer
from tests.relationship_support import make_customers

SDL = schema._schema


def graphql_names(mirrors: str) -> set[str]:
    """The input fields of an input type, or the arguments of `Type.field`."""
    if "." in mirrors:
        type_name, field = mirrors.split(".")
        return set(SDL.type_map[type_name].fields[field].args)
    input_type = SDL.type_map[mirrors]
    assert isinstance(input_type, GraphQLInputObjectType)
    return set(input_type.fields)


async def test_every_export_takes_the_graphql_names_and_refuses_others(app, api, tenant):
    paths = sorted(
        route.path for route in app.routes if getattr(route, "path", "").startswith("/export/")
    )
    assert paths == sorted(BY_PATH), "an export route without declared parameters"
    assert len(paths) == 11
    headers = {"Authorization": f"Bearer {tenant.admin.token}"}
    for path in paths:
        parameters = BY_PATH[path]
        assert set(parameters.graphql) == graphql_names(parameters.mirrors), path
        response = await api.client.get(
            path, params={"bogus": "1", "sort_by": "x"}, headers=headers
        )
        assert response.status_code == 400, path
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "errors": [
                {
                    "message": f"Unknown parameter(s) bogus, sort_by; valid: "
                    f"{', '.join(parameters.valid)}.",
                    "extensions": {"code": "BAD_REQUEST", "validParameters": parameters.valid},
                }
            ]
        }, path
        # Each GraphQL name is taken (a bad value may still be refused, but not as unknown).
        for name in parameters.valid:
            response = await api.client.get(path, params={name: "x"}, headers=headers)
            assert "Unknown parameter" not in response.text, (path, name)


async def test_customers_csv_sorts_and_filters_in_graphql_terms(api, database, tenant):
    ids = await make_customers(database, tenant, "Ant", "Bee", "Cat")
    headers = {"Authorization": f"Bearer {tenant.admin.token}"}
    await api.mutate(
        """mutation($id: ID!) { customerUpdate(id: $id, input: {status: PROSPECT}) {
             customer { id } userErrors { code } } }""",
        {"id": ids[1]},
        token=tenant.admin.token,
    )

    async def names(params):
        response = await api.client.get(
            "/export/customers.csv", params={"columns": "name", **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.text.split("\r\n")[1:-1]

    assert await names({"sort": "NAME", "direction": "DESC"}) == ["Cat", "Bee", "Ant"]
    assert await names({"sort": "NAME:DESC"}) == ["Cat", "Bee", "Ant"]
    assert await names({"sort": "-name"}) == ["Cat", "Bee", "Ant"]  # the first release's form
    assert await names({"statuses": "PROSPECT"}) == ["Bee"]
    assert await names({"statuses": "ACTIVE,PROSPECT", "sort": "NAME"}) == ["Ant", "Bee", "Cat"]
    assert await names({"status": "PROSPECT"}) == ["Bee"]  # alias kept one release
    refused = await api.client.get(
        "/export/customers.csv", params={"sort": "EMAIL"}, headers=headers
    )
    assert refused.status_code == 400
    message = refused.json()["errors"][0]["message"]
    assert message.startswith("Cannot sort customers by 'EMAIL'; sort by one of NAME, ")
    assert "TOTAL_SALES" in message and "totalSales" not in message


INTERACTION = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id occurredAt createdAt } userErrors { code } } }"""
INTERACTIONS = """query($filter: InteractionFilter) { interactions(filter: $filter) {
  nodes { body occurredAt } } }"""


async def test_day_ranges_are_dates_in_the_company_time_zone(api, database, tenant):
    await api.mutate(
        """mutation { companyUpdate(input: {timezone: "America/Chicago"}) {
             company { timezone } userErrors { code } } }""",
        token=tenant.admin.token,
    )
    (customer,) = await make_customers(database, tenant, "Acme")
    # Chicago is UTC-5 in June: its 1 June runs from 05:00Z to 05:00Z on 2 June.
    for body, moment in (
        ("31 May late", "2026-06-01T04:30:00+00:00"),
        ("1 June early", "2026-06-01T05:30:00+00:00"),
        ("1 June late", "2026-06-02T04:59:00+00:00"),
        ("2 June", "2026-06-02T05:01:00+00:00"),
    ):
        made = await api.mutate(
            INTERACTION,
            {"input": {"customerId": customer, "kind": "CALL", "body": body, "occurredAt": moment}},
            token=tenant.rep.token,
        )
        # Created with occurredAt, read back as occurredAt (createdAt is the same instant).
        assert made["interaction"]["occurredAt"] == moment
        assert made["interaction"]["createdAt"] == moment

    async def bodies(filter):
        data = await api.ok(INTERACTIONS, {"filter": filter}, token=tenant.admin.token)
        return [node["body"] for node in data["interactions"]["nodes"]]

    assert await bodies({"occurredFrom": "2026-06-01", "occurredTo": "2026-06-01"}) == [
        "1 June late",
        "1 June early",
    ]
    assert await bodies({"occurredFrom": "2026-06-02"}) == ["2 June"]
    assert await bodies({"occurredTo": "2026-05-31"}) == ["31 May late"]
    # The deprecated instant range still answers, exclusive at its end.
    assert await bodies(
        {"from": "2026-06-01T05:00:00+00:00", "to": "2026-06-02T05:00:00+00:00"}
    ) == ["1 June late", "1 June early"]
    body = await api.gql(
        INTERACTIONS,
        {"filter": {"occurredFrom": "2026-06-02", "occurredTo": "2026-06-01"}},
        token=tenant.admin.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "`occurredFrom` must not be after `occurredTo`."


ORDER = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id number placedAt } userErrors { field code } } }"""


async def test_orders_filter_placed_days_and_the_csv_says_the_same(api, tenant):
    from tests.orders_support import make_product

    await api.mutate(
        """mutation { companyUpdate(input: {timezone: "America/Chicago"}) {
             company { timezone } userErrors { code } } }""",
        token=tenant.admin.token,
    )
    customer, _ = await make_customer(api, tenant, "Acme")
    product = await make_product(api, tenant, "B-1", "Beans", "10.00")
    numbers = {}
    for label, placed in (
        ("before", "2026-03-10T04:59:00+00:00"),
        ("in", "2026-03-10T05:00:00+00:00"),
        ("after", "2026-03-11T05:00:00+00:00"),
    ):
        made = await api.mutate(
            ORDER,
            {
                "input": {
                    "customerId": customer,
                    "lines": [{"productId": product, "quantity": 1}],
                    "placedAt": placed,
                }
            },
            token=tenant.manager.token,
        )
        numbers[label] = made["order"]["number"]
    data = await api.ok(
        """query { orders(filter: {placedFrom: "2026-03-10", placedTo: "2026-03-10"}) {
             nodes { number } } }""",
        token=tenant.admin.token,
    )
    assert [n["number"] for n in data["orders"]["nodes"]] == [numbers["in"]]
    response = await api.client.get(
        "/export/orders.csv",
        params={"placedFrom": "2026-03-10", "placedTo": "2026-03-10", "customerIds": customer},
        headers={"Authorization": f"Bearer {tenant.admin.token}"},
    )
    lines = response.text.split("\r\n")
    assert lines[0].startswith("number,poNumber,status,placedAt,")
    assert [line.split(",")[0] for line in lines[1:-1]] == [str(numbers["in"])]


async def test_a_saved_sort_is_spelt_as_customers_sort_takes_it(api, tenant):
    saved = await api.mutate(
        """mutation { viewSettingsUpdate(input: {view: CUSTOMERS, columns: ["name"],
             sort: [{field: "TOTAL_SALES", direction: DESC}, {field: "name"}]}) {
             viewSettings { sort { field direction } } userErrors { code } } }""",
        token=tenant.rep.token,
    )
    sort = saved["viewSettings"]["sort"]
    assert sort == [
        {"field": "TOTAL_SALES", "direction": "DESC"},
        {"field": "NAME", "direction": "ASC"},
    ]
    # Passed back as it is read: customers(sort:) takes it.
    listed = await api.gql(
        "query($sort: [CustomerSort!]) { customers(sort: $sort) { totalCount } }",
        {"sort": sort},
        token=tenant.rep.token,
    )
    assert "errors" not in listed


ME = "{ me { id } }"


async def test_unauthenticated_says_why(api, database, tenant):
    async def reason(headers):
        response = await api.client.post("/graphql", json={"query": ME}, headers=headers)
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        export = await api.client.get("/export/customers.csv", headers=headers)
        assert export.status_code == 401
        assert export.json()["errors"][0]["extensions"] == error["extensions"]
        return error["extensions"]["reason"]

    assert await reason({}) == "MISSING"
    assert await reason({"Authorization": "Bearer not-a-token"}) == "INVALID"
    assert await reason({"Authorization": "Basic dXNlcjpwYXNz"}) == "INVALID"
    token = tenant.rep.token
    async with database.transaction(None) as session:
        await session.execute(
            update(AuthToken)
            .where(AuthToken.staff_id == tenant.rep.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert await reason({"Authorization": f"Bearer {token}"}) == "EXPIRED"
    await api.mutate("mutation { logout { revoked userErrors { code } } }", token=tenant.rep2.token)
    assert await reason({"Authorization": f"Bearer {tenant.rep2.token}"}) == "REVOKED"
    assert (await api.ok(ME, token=tenant.admin.token))["me"]["id"] == tenant.admin.global_id


async def test_a_malformed_id_is_invalid_id_wherever_it_is_given(
    api, database, tenant, other_tenant
):
    (theirs,) = await make_customers(database, other_tenant, "Theirs")
    token = tenant.admin.token
    for query, variables in (
        ("query($id: ID!) { customer(id: $id) { id } }", {"id": "not-an-id"}),
        ("query($id: ID!) { customer(id: $id) { id } }", {"id": tenant.rep.global_id}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "not-an-id"}),
    ):
        body = await api.gql(query, variables, token=token)
        assert body["data"] is None or list(body["data"].values()) == [None], body
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ID", (query, variables)
    # Another company's customer is simply not there, by either road.
    for query in (
        "query($id: ID!) { customer(id: $id) { id } }",
        "query($id: ID!) { node(id: $id) { id } }",
    ):
        assert await api.ok(query, {"id": theirs}, token=token) in (
            {"customer": None},
            {"node": None},
        )
    nodes = await api.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [tenant.admin.global_id, "not-an-id"]},
        token=token,
    )
    assert nodes["data"]["nodes"] == [{"id": tenant.admin.global_id}, None]
    assert nodes["errors"][0]["path"] == ["nodes", 1]
    assert nodes["errors"][0]["extensions"]["code"] == "INVALID_ID"
    payload = (
        await api.ok(
            """mutation { customerUpdate(id: "not-an-id", input: {name: "X"}) {
                 customer { id } userErrors { field code } } }""",
            token=token,
        )
    )["customerUpdate"]
    assert payload == {"customer": None, "userErrors": [{"field": ["id"], "code": "INVALID_ID"}]}
    download = await api.client.get(
        "/attachments/not-an-id", headers={"Authorization": f"Bearer {token}"}
    )
    assert download.status_code == 400
    assert download.json()["errors"][0]["extensions"]["code"] == "INVALID_ID"
    missing = await api.client.get(
        f"/attachments/{encode_id('Attachment', 999999)}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"message": "No such attachment.", "extensions": {"code": "NOT_FOUND"}}]
    }


async def test_balances_and_companies_have_ids_caches_can_normalise(
    api, database, tenant, other_tenant
):
    (customer,) = await make_customers(database, tenant, "Acme")
    token = tenant.admin.token
    data = await api.ok(
        """query($id: ID!) { customer(id: $id) { id balance { id currentBalance } }
             company { id name } }""",
        {"id": customer},
        token=token,
    )
    pk = int(decode_id(customer)[1])
    balance_id = encode_id("CustomerBalance", pk)
    assert data["customer"]["balance"] == {"id": balance_id, "currentBalance": "0.00"}
    assert data["company"]["id"] == encode_id("Company", tenant.company_id)
    node = await api.ok(
        """query($ids: [ID!]!) { nodes(ids: $ids) { id
             ... on CustomerBalance { currentBalance } ... on Company { name } } }""",
        {
            "ids": [
                balance_id,
                data["company"]["id"],
                encode_id("Company", other_tenant.company_id),
            ]
        },
        token=token,
    )
    assert node["nodes"] == [
        {"id": balance_id, "currentBalance": "0.00"},
        {"id": data["company"]["id"], "name": data["company"]["name"]},
        None,  # another company is never a node you can read
    ]
    (theirs,) = await make_customers(database, other_tenant, "Theirs")
    other_balance = encode_id("CustomerBalance", int(decode_id(theirs)[1]))
    assert await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": other_balance}, token=token
    ) == {"node": None}
