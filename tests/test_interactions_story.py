"""The relationship story of issue 4, and the demo company's interaction history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import Company, Customer, Staff
from resolvers.demo import DemoWorld
from resolvers.interactions_demo import seed_demo_story
from tests.relationship_support import make_customers, pk

PAGE = """query($id: ID!) { customer(id: $id) {
  name salesRep { name } lastInteractionAt daysSinceLastInteraction
  interactions(first: 10) { nodes { id kind body createdAt author { name } } } } }"""
REPORT = """query($filter: InteractionFilter) {
  interactionsReport(groupBy: [STAFF, WEEK], filter: $filter, includeSilentStaff: true) {
    staff { name } period count } }"""
UPDATE = """mutation($id: ID!, $body: String!) { interactionUpdate(id: $id, input: {body: $body}) {
  interaction { body edited author { name } } userErrors { field code } } }"""


async def test_a_coworker_covers_for_the_rep_and_gets_the_credit(api, tenant, database):
    (harbor,) = await make_customers(database, tenant, "Harbor Street Grocers")
    rep, coworker, manager = tenant.rep, tenant.rep2, tenant.manager

    # The manager assigns the rep.
    await api.mutate(
        """mutation($c: ID!, $s: ID) { customerSetSalesRep(customerId: $c, staffId: $s) {
             userErrors { code } } }""",
        {"c": harbor, "s": rep.global_id},
        token=manager.token,
    )
    # The rep visited ten days ago, then went on holiday.
    visited = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    await api.mutate(
        """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
             userErrors { code } } }""",
        {
            "input": {
                "customerId": harbor,
                "kind": "VISIT",
                "body": "Walked the floor, agreed the spring display.",
                "occurredAt": visited.isoformat(),
            }
        },
        token=rep.token,
    )
    # While the rep is out, a coworker takes the customer's call.
    call = await api.mutate(
        """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
             interaction { id createdAt author { name } } userErrors { code } } }""",
        {"input": {"customerId": harbor, "kind": "CALL", "body": "Short 2 cases of olive oil."}},
        token=coworker.token,
    )
    call_id = call["interaction"]["id"]
    coworker_name = call["interaction"]["author"]["name"]

    # The customer page shows the call first, under the coworker's name; the rep stays rep.
    page = (await api.ok(PAGE, {"id": harbor}, token=rep.token))["customer"]
    rep_name = page["salesRep"]["name"]
    assert rep_name != coworker_name
    assert [(n["kind"], n["author"]["name"]) for n in page["interactions"]["nodes"]] == [
        ("CALL", coworker_name),
        ("VISIT", rep_name),
    ]
    assert page["lastInteractionAt"] == call["interaction"]["createdAt"]
    assert page["daysSinceLastInteraction"] == 0

    # This week's report credits the coworker, not the rep.
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    week = {
        "from": f"{monday.isoformat()}T00:00:00+00:00",
        "to": f"{(monday + timedelta(days=7)).isoformat()}T00:00:00+00:00",
        "staffIds": [rep.global_id, coworker.global_id],
    }
    report = (await api.ok(REPORT, {"filter": week}, token=manager.token))["interactionsReport"]
    assert report == [
        {"staff": {"name": coworker_name}, "period": monday.isoformat(), "count": 1},
        {"staff": {"name": rep_name}, "period": None, "count": 0},
    ]

    # Back from holiday, the rep cannot rewrite the coworker's entry; the manager can.
    refused = await api.ok(UPDATE, {"id": call_id, "body": "Mine now"}, token=rep.token)
    assert refused["interactionUpdate"] == {
        "interaction": None,
        "userErrors": [{"field": ["id"], "code": "FORBIDDEN"}],
    }
    fixed = await api.mutate(
        UPDATE,
        {"id": call_id, "body": "Short 2 cases of olive oil; credit issued."},
        token=manager.token,
    )
    assert fixed["interaction"] == {
        "body": "Short 2 cases of olive oil; credit issued.",
        "edited": True,
        "author": {"name": coworker_name},
    }


async def _demo_world(database, tenant, customer_names: list[str]) -> tuple[list[str], DemoWorld]:
    ids = await make_customers(database, tenant, *customer_names)
    session = database.session(None)
    try:
        company = await session.get(Company, tenant.company_id)
        staff = list(
            (
                await session.execute(
                    select(Staff).where(Staff.company_id == tenant.company_id).order_by(Staff.id)
                )
            ).scalars()
        )
        customers = list(
            (
                await session.execute(
                    select(Customer)
                    .where(Customer.id.in_([pk(i) for i in ids]))
                    .order_by(Customer.id)
                )
            ).scalars()
        )
    finally:
        await session.close()
    # Half the customers have the first rep, as the demo's customers mostly do.
    for n, customer in enumerate(customers):
        customer.sales_rep_id = tenant.rep.id if n % 2 == 0 else None
    return ids, DemoWorld(company=company, staff=staff, customers=customers, rng=random.Random(42))


async def test_demo_story_adds_a_year_of_history(api, tenant, database):
    names = [f"Demo {n}" for n in range(30)]
    ids, world = await _demo_world(database, tenant, names)
    async with database.transaction(None) as session:
        for customer in world.customers:
            await session.merge(customer)
        await seed_demo_story(session, world)

    data = await api.ok(
        """{ interactions(first: 250) { totalCount nodes { createdAt author { id }
               customer { salesRep { id } } } } }""",
        token=tenant.admin.token,
    )
    total = data["interactions"]["totalCount"]
    assert 4 * len(names) <= total <= 14 * len(names)
    now = datetime.now(UTC)
    covered = 0
    nodes = data["interactions"]["nodes"]
    assert len(nodes) == min(total, 250)
    for node in nodes:
        at = datetime.fromisoformat(node["createdAt"])
        assert now - timedelta(days=366) < at < now
        rep = node["customer"]["salesRep"]
        if rep is not None and rep["id"] != node["author"]["id"]:
            covered += 1
    assert covered > 0  # coworkers cover for the rep now and then
    # Every customer's lastInteractionAt is its newest entry's time (newest-first list).
    pages = await api.ok(
        """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { id lastInteractionAt
               interactions(first: 1) { nodes { createdAt } } } } }""",
        {"ids": ids},
        token=tenant.admin.token,
    )
    for node in pages["nodes"]:
        assert node["lastInteractionAt"] == node["interactions"]["nodes"][0]["createdAt"]
    report = await api.ok(
        "{ interactionsReport(groupBy: [KIND]) { kind count } }", token=tenant.admin.token
    )
    assert sum(row["count"] for row in report["interactionsReport"]) == total
    assert {row["kind"] for row in report["interactionsReport"]} >= {"CALL", "EMAIL", "VISIT"}
