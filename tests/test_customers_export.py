"""GET /export/customers.csv: filtered, sorted, with the viewer's or the given columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from db.models import Customer

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { field message code } } }"""
VIEW = """mutation($input: ViewSettingsUpdateInput!) { viewSettingsUpdate(input: $input) {
  viewSettings { columns } userErrors { field message code } } }"""


async def export(api, token: str | None, params=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.client.get("/export/customers.csv", params=params or {}, headers=headers)


async def seed(api, tenant, database) -> dict[str, str]:
    ids = {}
    for name, fields in (
        ("Bravo Bikes", {"salesRepId": tenant.rep.global_id, "email": "b@bravo.example"}),
        ("alpha, Inc.", {"discountPercent": "5", "billingStatus": "PAST_DUE"}),
        ('Café "Olé"', {"salesRepId": tenant.rep2.global_id, "status": "PROSPECT"}),
        ("Gone", {}),
    ):
        payload = await api.mutate(
            CREATE, {"input": {"name": name, **fields}}, token=tenant.rep.token
        )
        ids[name] = payload["customer"]["id"]
    await api.mutate(
        CONTACT,
        {"input": {"customerId": ids["Bravo Bikes"], "name": "Bea"}},
        token=tenant.rep.token,
    )
    await api.mutate(
        """mutation($id: ID!) { customerArchive(id: $id) { customer { id } userErrors { code } } }""",
        {"id": ids["Gone"]},
        token=tenant.rep.token,
    )
    # Orders (another engineer's work) maintain the stats columns; set directly here.
    async with database.transaction(None) as session:
        await session.execute(
            update(Customer)
            .where(Customer.company_id == tenant.company_id, Customer.name == "Bravo Bikes")
            .values(
                order_count=2,
                total_sales_cents=123451,
                last_order_at=datetime(2020, 5, 1, 12, 0, tzinfo=UTC),
                balance_cents=2500,
            )
        )
    return ids


async def rep_names(api, tenant) -> tuple[str, str]:
    rep = (await api.ok("{ me { name } }", token=tenant.rep.token))["me"]["name"]
    rep2 = (await api.ok("{ me { name } }", token=tenant.rep2.token))["me"]["name"]
    return rep, rep2


async def test_needs_a_token(api, tenant):
    response = await export(api, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await export(api, "bogus")).status_code == 401


async def test_default_columns_and_sort(api, tenant, other_tenant, database):
    await seed(api, tenant, database)
    await seed(api, other_tenant, database)
    rep, rep2 = await rep_names(api, tenant)
    response = await export(api, tenant.manager.token)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="customers.csv"'
    assert response.text == (
        "name,status,billingStatus,salesRep,primaryContact,email,phone,orderCount,totalSales,"
        "lastOrderAt,engagement,balance\r\n"
        '"alpha, Inc.",ACTIVE,PAST_DUE,,,,,0,0.00,,NEVER_ORDERED,0.00\r\n'
        f"Bravo Bikes,ACTIVE,GOOD_STANDING,{rep},Bea,b@bravo.example,,2,1234.51,"
        "2020-05-01T12:00:00+00:00,LAPSED,25.00\r\n"
        f'"Café ""Olé""",PROSPECT,GOOD_STANDING,{rep2},,,,0,0.00,,NEVER_ORDERED,0.00\r\n'
    )


async def test_given_columns_sort_and_filters(api, tenant, database):
    await seed(api, tenant, database)
    rep, _ = await rep_names(api, tenant)
    cases = [
        (
            {"columns": "name,discountPercent,averageOrderTotal", "sort": "-totalSales,name"},
            "name,discountPercent,averageOrderTotal\r\n"
            "Bravo Bikes,0.00,617.26\r\n"
            '"alpha, Inc.",5.00,\r\n'
            '"Café ""Olé""",0.00,\r\n',
        ),
        (
            {"columns": "name,salesRep", "salesRep": tenant.rep.global_id},
            f"name,salesRep\r\nBravo Bikes,{rep}\r\n",
        ),
        (
            {"columns": "name,status", "status": ["ARCHIVED", "PROSPECT"]},
            'name,status\r\n"Café ""Olé""",PROSPECT\r\nGone,ARCHIVED\r\n',
        ),
        ({"columns": "name", "search": "cafe"}, 'name\r\n"Café ""Olé"""\r\n'),
        ({"columns": "name", "billingStatus": "PAST_DUE"}, 'name\r\n"alpha, Inc."\r\n'),
        ({"columns": "name", "hasBalance": "true"}, "name\r\nBravo Bikes\r\n"),
        ({"columns": "name", "engagement": "LAPSED"}, "name\r\nBravo Bikes\r\n"),
        ({"columns": "name", "kind": "INDIVIDUAL"}, "name\r\n"),
    ]
    for params, expected in cases:
        response = await export(api, tenant.rep.token, params)
        assert response.status_code == 200, response.text
        assert response.text == expected, params


async def test_uses_the_viewers_saved_columns_and_sort(api, tenant, database):
    await seed(api, tenant, database)
    await api.mutate(
        VIEW,
        {
            "input": {
                "view": "CUSTOMERS",
                "columns": ["totalSales", "name"],
                "sort": [{"field": "name", "direction": "DESC"}],
            }
        },
        token=tenant.rep.token,
    )
    mine = await export(api, tenant.rep.token)
    assert mine.text == (
        'totalSales,name\r\n0.00,"Café ""Olé"""\r\n1234.51,Bravo Bikes\r\n0.00,"alpha, Inc."\r\n'
    )
    # Someone else's export keeps the default columns.
    theirs = await export(api, tenant.rep2.token)
    assert theirs.text.startswith("name,status,")


async def test_bad_parameters_are_400(api, tenant):
    cases = [
        ({"columns": "name,nope"}, "Unknown columns: nope."),
        ({"statuses": "SLEEPING"}, "Bad `status`"),
        ({"hasBalance": "maybe"}, "`hasBalance` must be true or false."),
        ({"sort": "email"}, "Cannot sort customers by 'email'; sort by one of NAME,"),
        ({"salesRep": "junk"}, "Not a valid Staff id: 'junk'."),
    ]
    for params, message in cases:
        response = await export(api, tenant.rep.token, params)
        assert response.status_code == 400, params
        assert message in response.text, response.text


async def test_formula_like_text_is_neutralised(api, tenant):
    await api.mutate(
        CREATE,
        {"input": {"name": '=HYPERLINK("http://evil.example")', "phone": "+1 (555) 010-2000"}},
        token=tenant.rep.token,
    )
    response = await export(api, tenant.rep.token, {"columns": "name,phone"})
    assert response.text == (
        'name,phone\r\n"\'=HYPERLINK(""http://evil.example"")",+1 (555) 010-2000\r\n'
    )
