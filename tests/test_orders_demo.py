"""The demo story's catalogue and order history: the denormalised stats add up."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from db.enums import INVOICED_ORDER_STATUSES
from db.models import Company, Customer, Location, Order, OrderLine, Staff
from db.session import Scope
from resolvers import orders_demo, products
from resolvers.demo import DemoWorld, _seed_customers
from resolvers.orders import discount_cents


async def test_demo_story_orders_and_stats_add_up(api, tenant, database):
    # The demo's customers in a fresh test company (seed_demo itself makes a fixed company).
    async with database.transaction(Scope(tenant.company_id)) as session:
        company = await session.get(Company, tenant.company_id)
        staff = list((await session.execute(select(Staff))).scalars())
        world = DemoWorld(company=company, staff=staff)
        await _seed_customers(session, world)
        await products.seed_demo_story(session, world)
        await orders_demo.seed_demo_story(session, world)

    token = tenant.admin.token
    catalogue = await api.ok(
        "{ all: products(includeInactive: true) { totalCount } "
        '  active: products { totalCount } exclusive: products(search: "reserve") { nodes {'
        "    exclusive exclusiveCustomers { id } } } }",
        token=token,
    )
    assert catalogue["all"]["totalCount"] == 40
    assert catalogue["active"]["totalCount"] == 39
    assert [len(p["exclusiveCustomers"]) for p in catalogue["exclusive"]["nodes"]] == [3, 3]

    async with database.transaction(Scope(tenant.company_id)) as session:
        rows = list((await session.execute(select(Order))).scalars())
        line_totals: dict[int, int] = defaultdict(int)
        for line in (await session.execute(select(OrderLine))).scalars():
            assert line.line_total_cents == line.quantity * line.unit_price_cents
            line_totals[line.order_id] += line.line_total_cents
        customers = {c.id: c for c in (await session.execute(select(Customer))).scalars()}
        locations = {loc.id: loc for loc in (await session.execute(select(Location))).scalars()}

    assert sorted(o.number for o in rows) == list(range(1001, 1001 + orders_demo.DEMO_ORDERS))
    assert {o.status.value for o in rows} >= {"DRAFT", "SUBMITTED", "DELIVERED", "CANCELLED"}
    expected_customer: dict[int, list] = defaultdict(lambda: [0, 0, None])
    expected_location: dict[int, list] = defaultdict(lambda: [0, 0])
    for order in rows:
        assert order.subtotal_cents == line_totals[order.id]
        assert order.discount_cents == discount_cents(order.subtotal_cents, order.discount_bp)
        assert order.total_cents == order.subtotal_cents - order.discount_cents
        invoiced = order.status in INVOICED_ORDER_STATUSES
        assert order.balance_due_cents == (order.total_cents - order.paid_cents if invoiced else 0)
        if invoiced:
            stats = expected_customer[order.customer_id]
            stats[0] += 1
            stats[1] += order.total_cents
            stats[2] = max(stats[2] or order.placed_at, order.placed_at)
            if order.location_id:
                expected_location[order.location_id][0] += 1
                expected_location[order.location_id][1] += order.total_cents
    for customer in customers.values():
        count, sales, last = expected_customer.get(customer.id, [0, 0, None])
        assert (customer.order_count, customer.total_sales_cents) == (count, sales)
        assert customer.balance_cents == sales - customer.total_paid_cents
        assert customer.last_order_at == last
    for location in locations.values():
        assert [location.order_count, location.total_sales_cents] == expected_location.get(
            location.id, [0, 0]
        )

    # The history is searchable by PO and by product through GraphQL.
    with_po = next(o for o in rows if o.po_number)
    found = await api.ok(
        "query($q: String) { orders(search: $q) { nodes { number } } }",
        {"q": with_po.po_number},
        token=token,
    )
    assert with_po.number in [n["number"] for n in found["orders"]["nodes"]]
    espresso = await api.ok(
        '{ orders(search: "espresso beans", first: 250) { totalCount } }', token=token
    )
    assert espresso["orders"]["totalCount"] == sum(
        1 for o in rows if "espresso beans" in o.search_text
    )
