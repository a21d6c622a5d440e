"""The order history: filters, search, sorts, stable pages, Customer.orders, no N+1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db.enums import BasisDate
from db.models import Customer, Location, Product, utcnow
from db.session import Scope
from resolvers.ids import decode_id
from resolvers.orders import DueTerms, NewLine, NewOrder, insert_order
from tests.orders_support import make_customer, make_product
from tests.test_orders import CANCEL, create, line, set_status

ORDERS = """query($filter: OrderFilter, $search: String, $sort: [OrderSort!], $first: Int,
                  $after: String, $last: Int, $before: String) {
  orders(filter: $filter, search: $search, sort: $sort, first: $first, after: $after,
         last: $last, before: $before) {
    totalCount nodes { number }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


@dataclass
class History:
    token: str
    acme: str
    bistro: str
    depot: str
    shop: str


async def numbers(api, history: History, **variables) -> list[int]:
    data = await api.ok(ORDERS, variables, token=history.token)
    page = data["orders"]
    assert page["totalCount"] == len(page["nodes"])
    return [n["number"] for n in page["nodes"]]


@pytest.fixture
async def history(api, tenant, database) -> History:
    """Five orders, numbers 1001-1005:

    number  customer/location  PO             placed      status     total   due
    1001    Acme / Depot       PO-2024-ALPHA  2026-01-05  SUBMITTED   49.00  2026-02-04
    1002    Acme / Shop        acme-778       2026-02-10  DRAFT       36.00  2026-03-12
    1003    Bistro             -              2026-03-01  CONFIRMED  204.00  submitted today + 15
    1004    Bistro             B-1            2025-12-20  CANCELLED   24.50  2026-01-04
    1005    Acme / Depot       PO-2024-BETA   2026-03-15  SUBMITTED   72.00  2026-04-14
    """
    acme, (depot, shop) = await make_customer(
        api, tenant, "Acme", locations=("Depot", "Shop"), basis_date="ORDER_DATE"
    )
    bistro, _ = await make_customer(
        api, tenant, "Bistro", terms="Net 15", basis_date="INVOICE_DATE"
    )
    beans = await make_product(api, tenant, "COF-ESP", "Espresso beans", "24.50")
    milk = await make_product(api, tenant, "MLK-OAT", "Oat milk", "36.00")
    cups = await make_product(api, tenant, "CUP-12", "Café crème cups", "68.00")
    token = tenant.rep.token
    await create(
        api,
        token,
        acme,
        [line(beans, 2)],
        locationId=depot,
        poNumber="PO-2024-ALPHA",
        placedAt="2026-01-05T10:00:00Z",
        status="SUBMITTED",
    )
    await create(
        api,
        token,
        acme,
        [line(milk, 1)],
        locationId=shop,
        poNumber="acme-778",
        placedAt="2026-02-10T10:00:00Z",
    )
    third = await create(api, token, bistro, [line(cups, 3)], placedAt="2026-03-01T10:00:00Z")
    fourth = await create(
        api,
        token,
        bistro,
        [line(beans, 1, description="Decaf special")],
        poNumber="B-1",
        placedAt="2025-12-20T10:00:00Z",
        status="SUBMITTED",
    )
    await create(
        api,
        token,
        acme,
        [line(milk, 2)],
        locationId=depot,
        poNumber="PO-2024-BETA",
        placedAt="2026-03-15T10:00:00Z",
        status="SUBMITTED",
    )
    await set_status(api, token, third["id"], "SUBMITTED")
    await set_status(api, token, third["id"], "CONFIRMED")
    await api.ok(CANCEL, {"id": fourth["id"]}, token=token)
    return History(token, acme, bistro, depot, shop)


async def test_newest_first_by_default_and_every_sort_both_ways(api, history):
    assert await numbers(api, history) == [1005, 1003, 1002, 1001, 1004]
    expected = {
        "CREATED_AT": [1004, 1001, 1002, 1003, 1005],
        "NUMBER": [1001, 1002, 1003, 1004, 1005],
        # 24.50, 36.00, 49.00, 72.00, 204.00
        "TOTAL": [1004, 1002, 1001, 1005, 1003],
        # By status name: CANCELLED, CONFIRMED, DRAFT, SUBMITTED (ties by id).
        "STATUS": [1004, 1003, 1002, 1001, 1005],
    }
    for field, ascending in expected.items():
        sort = [{"field": field, "direction": "ASC"}]
        assert await numbers(api, history, sort=sort) == ascending, field
        sort = [{"field": field, "direction": "DESC"}]
        assert await numbers(api, history, sort=sort) == ascending[::-1], field
    due = await numbers(api, history, sort=[{"field": "DUE_DATE", "direction": "ASC"}])
    assert due == [1004, 1001, 1002, 1005, 1003]
    # Several keys: status name, then total descending within a status.
    both = await numbers(
        api,
        history,
        sort=[{"field": "STATUS", "direction": "ASC"}, {"field": "TOTAL", "direction": "DESC"}],
    )
    assert both == [1004, 1003, 1002, 1005, 1001]


async def test_due_date_sort_puts_undated_orders_last(api, tenant, database, history):
    # A draft for an INVOICE_DATE customer has no due date yet.
    widget = await make_product(api, tenant, "W", "Widget", "1.00")
    await create(api, history.token, history.bistro, [line(widget, 1)])
    due = await numbers(api, history, sort=[{"field": "DUE_DATE", "direction": "ASC"}])
    assert due == [1004, 1001, 1002, 1005, 1003, 1006]
    due = await numbers(api, history, sort=[{"field": "DUE_DATE", "direction": "DESC"}])
    assert due == [1006, 1003, 1005, 1002, 1001, 1004]
    # Cursors across the undated orders: pages of 2 give the same sequence.
    sort = [{"field": "DUE_DATE", "direction": "ASC"}]
    paged, after = [], None
    for _ in range(3):
        data = await api.ok(ORDERS, {"sort": sort, "first": 2, "after": after}, token=history.token)
        paged += [n["number"] for n in data["orders"]["nodes"]]
        after = data["orders"]["pageInfo"]["endCursor"]
    assert paged == [1004, 1001, 1002, 1005, 1003, 1006]


async def test_filters(api, history):
    assert await numbers(api, history, filter={"customerIds": [history.bistro]}) == [1003, 1004]
    assert await numbers(api, history, filter={"locationIds": [history.depot]}) == [1005, 1001]
    assert await numbers(api, history, filter={"statuses": ["DRAFT", "CANCELLED"]}) == [1002, 1004]
    window = {"createdFrom": "2026-01-05T10:00:00Z", "createdTo": "2026-03-01T10:00:00Z"}
    # From inclusive, to exclusive, on placedAt.
    assert await numbers(api, history, filter=window) == [1002, 1001]
    assert await numbers(api, history, filter={"hasBalance": True}) == [1005, 1003, 1001]
    assert await numbers(api, history, filter={"hasBalance": False}) == [1002, 1004]
    combined = {"customerIds": [history.acme], "hasBalance": True, "locationIds": [history.depot]}
    assert await numbers(api, history, filter=combined, search="beta") == [1005]
    body = await api.gql(ORDERS, {"filter": {"customerIds": ["bogus"]}}, token=history.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_search_finds_orders_by_number_po_and_line_content(api, history):
    """Story: the order history search finds an order by PO and by a product on its lines."""
    assert await numbers(api, history, search="PO-2024") == [1005, 1001]
    assert await numbers(api, history, search="alpha") == [1001]
    assert await numbers(api, history, search="ACME-7") == [1002]
    assert await numbers(api, history, search="1003") == [1003]
    assert await numbers(api, history, search="#1002") == [1002]
    # Product name, SKU and line description, any case and accents.
    assert await numbers(api, history, search="oat milk") == [1005, 1002]
    assert await numbers(api, history, search="mlk-oat") == [1005, 1002]
    assert await numbers(api, history, search="Decaf") == [1004]
    assert await numbers(api, history, search="CAFE CREME") == [1003]
    assert await numbers(api, history, search="crème") == [1003]
    assert await numbers(api, history, search="cof-esp") == [1001, 1004]
    # Terms shorter than a trigram still work (without the index).
    assert await numbers(api, history, search="b-") == [1004]
    assert await numbers(api, history, search="zzz") == []
    assert await numbers(api, history, search='50%"') == []


async def test_customer_orders_take_the_same_arguments(api, history):
    query = """query($id: ID!, $search: String, $sort: [OrderSort!], $filter: OrderFilter) {
      customer(id: $id) { orders(search: $search, sort: $sort, filter: $filter) {
        totalCount nodes { number customer { name } } } } }"""

    async def customer_numbers(**variables) -> list[int]:
        data = await api.ok(query, {"id": history.acme, **variables}, token=history.token)
        return [n["number"] for n in data["customer"]["orders"]["nodes"]]

    assert await customer_numbers() == [1005, 1002, 1001]
    assert await customer_numbers(search="PO-2024") == [1005, 1001]
    assert await customer_numbers(sort=[{"field": "TOTAL", "direction": "ASC"}]) == [
        1002,
        1001,
        1005,
    ]
    assert await customer_numbers(filter={"statuses": ["DRAFT"]}) == [1002]
    # A customerIds filter naming another customer narrows to nothing.
    assert await customer_numbers(filter={"customerIds": [history.bistro]}) == []


async def test_pages_are_stable_forwards_and_backwards(api, history):
    sort = [{"field": "TOTAL", "direction": "DESC"}]
    seen, after = [], None
    while True:
        data = await api.ok(ORDERS, {"sort": sort, "first": 2, "after": after}, token=history.token)
        page = data["orders"]
        seen += [n["number"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [1003, 1005, 1001, 1002, 1004]
    back = await api.ok(ORDERS, {"sort": sort, "last": 2}, token=history.token)
    assert [n["number"] for n in back["orders"]["nodes"]] == [1002, 1004]
    before = back["orders"]["pageInfo"]["startCursor"]
    earlier = await api.ok(ORDERS, {"sort": sort, "last": 2, "before": before}, token=history.token)
    assert [n["number"] for n in earlier["orders"]["nodes"]] == [1005, 1001]


async def test_orders_of_other_companies_never_match(api, history, other_tenant, database):
    theirs, _ = await make_customer(api, other_tenant, "Theirs")
    beans = await make_product(api, other_tenant, "COF-ESP", "Espresso beans", "1.00")
    await create(api, other_tenant.rep.token, theirs, [line(beans, 1)], poNumber="PO-2024-X")
    assert await numbers(api, history, search="PO-2024") == [1005, 1001]
    assert await numbers(api, history, search="espresso") == [1001, 1004]
    mine = await api.ok(ORDERS, {"search": "PO-2024"}, token=other_tenant.rep.token)
    assert [n["number"] for n in mine["orders"]["nodes"]] == [1001]


FULL_PAGE = """query($first: Int) { orders(first: $first) { totalCount nodes {
  number total customer { name } location { name } createdBy { name }
  lines { sku quantity unitPrice lineTotal product { sku name price } } } } }"""


async def test_a_page_of_10_or_110_orders_runs_the_same_statements(api, tenant, database):
    customers = [
        await make_customer(api, tenant, f"Customer {n}", locations=(f"Site {n}",))
        for n in range(3)
    ]
    products = [await make_product(api, tenant, f"P{n}", f"Product {n}", "2.00") for n in range(3)]
    for n in range(10):
        customer, (site,) = customers[n % 3]
        await create(api, tenant.rep.token, customer, [line(products[n % 3], 1)], locationId=site)
    # The other 100 through orderCreate's own insert_order in one transaction: the same
    # rows, without 100 HTTP round trips on a shared machine.
    async with database.transaction(Scope(tenant.company_id)) as session:
        rows = {
            model: {row.id: row for row in (await session.execute(select(model))).scalars()}
            for model in (Customer, Location, Product)
        }
        for n in range(100):
            customer = rows[Customer][decode_id(customers[n % 3][0])[1]]
            lines = [
                NewLine(rows[Product][decode_id(products[(n + k) % 3])[1]], k + 1, 200, "x")
                for k in range(2)
            ]
            new = NewOrder(
                customer=customer,
                lines=lines,
                discount_bp=0,
                placed_at=utcnow(),
                location_id=decode_id(customers[n % 3][1][0])[1],
                created_by_id=tenant.rep.id,
            )
            await insert_order(session, new, DueTerms(BasisDate.ORDER_DATE, 30), "UTC")
    small = await api.ok(FULL_PAGE, {"first": 10}, token=tenant.rep.token)
    small_count = api.last_statements
    large = await api.ok(FULL_PAGE, {"first": 110}, token=tenant.rep.token)
    assert len(small["orders"]["nodes"]) == 10
    assert len(large["orders"]["nodes"]) == 110
    assert {n["location"]["name"] for n in large["orders"]["nodes"]} == {
        "Site 0",
        "Site 1",
        "Site 2",
    }
    assert large["orders"]["nodes"][-1]["lines"][0]["product"]["price"] == "2.00"
    assert api.last_statements == small_count


async def export(api, history: History, params: list[tuple[str, str]] | None = None) -> str:
    response = await api.client.get(
        "/export/orders.csv",
        params=params or [],
        headers={"Authorization": f"Bearer {history.token}"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return response.text


async def test_csv_export_holds_one_row_per_order(api, history):
    today = datetime.now(UTC).date()
    due_1003 = (today + timedelta(days=15)).isoformat()
    assert (await export(api, history)).splitlines() == [
        "number,poNumber,status,placedAt,dueDate,subtotal,discountAmount,total,amountPaid,balanceDue,"
        "customer,location",
        "1005,PO-2024-BETA,SUBMITTED,2026-03-15T10:00:00+00:00,2026-04-14,72.00,0.00,72.00,"
        "0.00,72.00,Acme,Depot",
        f"1003,,CONFIRMED,2026-03-01T10:00:00+00:00,{due_1003},204.00,0.00,204.00,0.00,204.00,"
        "Bistro,",
        "1002,acme-778,DRAFT,2026-02-10T10:00:00+00:00,2026-03-12,36.00,0.00,36.00,0.00,0.00,"
        "Acme,Shop",
        "1001,PO-2024-ALPHA,SUBMITTED,2026-01-05T10:00:00+00:00,2026-02-04,49.00,0.00,49.00,"
        "0.00,49.00,Acme,Depot",
        "1004,B-1,CANCELLED,2025-12-20T10:00:00+00:00,2026-01-04,24.50,0.00,24.50,0.00,0.00,"
        "Bistro,",
    ]


async def test_filters_sorts_and_csv_export_agree(api, history):
    """Story: the same question asked of the list and of the CSV gets the same orders."""
    cases = [
        ({}, []),
        ({"customerIds": [history.acme]}, [("customer", history.acme)]),
        (
            {"customerIds": [history.acme, history.bistro]},
            [("customer", history.acme), ("customer", history.bistro)],
        ),
        ({"locationIds": [history.shop]}, [("location", history.shop)]),
        ({"statuses": ["SUBMITTED", "DRAFT"]}, [("status", "SUBMITTED"), ("status", "DRAFT")]),
        (
            {"createdFrom": "2026-01-05T10:00:00Z", "createdTo": "2026-03-01T00:00:00Z"},
            [("from", "2026-01-05T10:00:00Z"), ("to", "2026-03-01")],
        ),
        ({"hasBalance": True}, [("hasBalance", "true")]),
        ({"hasBalance": False}, [("hasBalance", "false")]),
    ]
    sorts = [
        (None, []),
        ([{"field": "TOTAL", "direction": "ASC"}], [("sort", "TOTAL")]),
        ([{"field": "DUE_DATE", "direction": "DESC"}], [("sort", "DUE_DATE:DESC")]),
        (
            [{"field": "STATUS", "direction": "ASC"}, {"field": "NUMBER", "direction": "DESC"}],
            [("sort", "STATUS"), ("sort", "NUMBER:DESC")],
        ),
    ]
    search = ("po-2024", [("search", "po-2024")])
    combos = (
        [(case, sorts[0], (None, [])) for case in cases]
        + [(cases[0], sort, (None, [])) for sort in sorts[1:]]
        + [(cases[1], sorts[1], search), (cases[6], sorts[3], search), (cases[4], sorts[2], search)]
    )
    for (filter, filter_params), (sort, sort_params), (term, search_params) in combos:
        listed = await numbers(api, history, filter=filter, sort=sort, search=term)
        csv_text = await export(api, history, filter_params + sort_params + search_params)
        exported = [int(row.split(",")[0]) for row in csv_text.splitlines()[1:]]
        assert exported == listed, (filter, sort, term)
    # A few answers spelled out, so agreement isn't agreement on nothing.
    assert await numbers(api, history, filter={"hasBalance": True}, search="po-2024") == [
        1005,
        1001,
    ]
    assert await numbers(api, history, sort=[{"field": "TOTAL", "direction": "ASC"}]) == [
        1004,
        1002,
        1001,
        1005,
        1003,
    ]


async def test_csv_export_needs_a_token_and_valid_parameters(api, history, other_tenant):
    response = await api.client.get("/export/orders.csv")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    for params in ({"status": "LOST"}, {"from": "yesterday"}, {"sort": "COLOR"}, {"customer": "x"}):
        response = await api.client.get(
            "/export/orders.csv",
            params=params,
            headers={"Authorization": f"Bearer {history.token}"},
        )
        assert response.status_code == 400, params
    # Another company exports only its own (here: none).
    response = await api.client.get(
        "/export/orders.csv", headers={"Authorization": f"Bearer {other_tenant.admin.token}"}
    )
    assert response.text.splitlines()[1:] == []
