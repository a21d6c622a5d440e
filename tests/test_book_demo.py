"""The demo's part of issue 18: follow-ups overdue and upcoming, tags, shared views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import Company, Customer, Staff
from db.session import Scope
from resolvers import book_demo, interactions_demo
from resolvers.demo import DemoWorld, _seed_customers

VIEW_PAGE = """query($id: ID!) { customers(savedViewId: $id, first: 250) {
  totalCount nodes { name lastInteractionAt nextTask { title } } } }"""


async def test_demo_plans_the_day(api, tenant, database):
    async with database.transaction(Scope(tenant.company_id)) as session:
        company = await session.get(Company, tenant.company_id)
        staff = list((await session.execute(select(Staff))).scalars())
        world = DemoWorld(company=company, staff=staff)
        await _seed_customers(session, world)
        await interactions_demo.seed_demo_story(session, world)
        await book_demo.seed_demo_story(session, world)
        customers = list((await session.execute(select(Customer))).scalars())

    manager, rep = tenant.manager.token, tenant.rep2.token
    views = await api.ok("{ savedViews { id name shared owner { name } } }", token=rep)
    names = [v["name"] for v in views["savedViews"]]
    assert names == ["Not contacted in 60 days", "Unassigned customers"]
    mine = await api.ok("{ savedViews { name } }", token=tenant.rep.token)
    assert [v["name"] for v in mine["savedViews"]] == [
        "My overdue follow-ups",
        "Not contacted in 60 days",
        "Unassigned customers",
    ]

    view_id = views["savedViews"][0]["id"]
    page = await api.ok(VIEW_PAGE, {"id": view_id}, token=manager)
    cutoff = datetime.now(UTC).date() - timedelta(days=60)
    quiet = sorted(
        (
            c
            for c in customers
            if c.last_interaction_at is None or c.last_interaction_at.date() < cutoff
        ),
        key=lambda c: (c.last_interaction_at or datetime.min.replace(tzinfo=UTC), c.id),
    )
    assert quiet, "the demo has customers nobody called in 60 days"
    assert [n["name"] for n in page["customers"]["nodes"]] == [c.name for c in quiet]
    assert page["customers"]["totalCount"] == len(quiet)

    tasks = await api.ok(
        """{ overdue: tasks(filter: {overdue: true}) { totalCount }
             upcoming: tasks(filter: {overdue: false}) { totalCount }
             done: tasks(filter: {statuses: [DONE]}) { totalCount }
             tags: customerTags { tag count } }""",
        token=manager,
    )
    assert (tasks["overdue"]["totalCount"], tasks["upcoming"]["totalCount"]) == (4, 10)
    assert tasks["done"]["totalCount"] == 2
    assert {t["tag"] for t in tasks["tags"]} <= set(book_demo.TAGS)
    assert sum(t["count"] for t in tasks["tags"]) > 0
    counts = [t["count"] for t in tasks["tags"]]
    assert counts == sorted(counts, reverse=True)
