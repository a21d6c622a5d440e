"""The direct resolver calls (schema/fast_resolvers.py) answer exactly as Strawberry's own
call path does, over the demo story's data, and the customer list prefetch keeps a page's
nested fields from awaiting."""

from __future__ import annotations

import importlib

import httpx
from sqlalchemy import select

from db.models import Company, Staff
from db.session import Scope
from resolvers.demo import STORY, DemoWorld, _seed_customers
from resolvers.locations import LOCATIONS_OF_CUSTOMER
from resolvers.pagination import encode_cursor
from schema import build_schema
from server.app import create_app

# Locations after the name "z": a cursor of Customer.locations' own making.
AFTER_Z = encode_cursor(["z", 0], LOCATIONS_OF_CUSTOMER)

EVERYTHING = """
fragment Rep on Staff { id name email role }
query Everything {
  customers(first: 40, sort: [{field: TOTAL_SALES, direction: DESC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } }
    nodes {
      id name kind status billingStatus email phone discountPercent version
      salesRep { ...Rep }
      paymentTerms { id name dueInDays }
      orderCount totalSales averageOrderTotal lastOrderAt engagement
      lastInteractionAt daysSinceLastInteraction
      billingAddress { line1 city postalCode country }
      balance { totalInvoiced totalPaid currentBalance overdueAmount }
      primaryContact { id name email isPrimary }
      contacts { id name title isPrimary }
      locations(first: 2) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { id name orderCount totalSales salesRep { id } effectiveSalesRep { ...Rep } }
      }
      later: locations(first: 2, after: "AFTER_Z") { nodes { id } }
      interactions(first: 3) { totalCount nodes { id kind body createdAt author { ...Rep } } }
      orders(first: 3) {
        nodes { id number status placedAt total amountPaid balanceDue
                lines { sku description quantity unitPrice lineTotal } }
      }
      transactions(first: 3) { nodes { id kind amount method occurredAt allocations { amount } } }
    }
  }
  locations(first: 30) { nodes { id name effectiveSalesRep { id } customer { id name } } }
}""".replace("AFTER_Z", AFTER_Z)


async def seed_story(database, tenant) -> None:
    async with database.transaction(Scope(tenant.company_id)) as session:
        company = await session.get(Company, tenant.company_id)
        staff = list((await session.execute(select(Staff))).scalars())
        world = DemoWorld(company=company, staff=staff)
        await _seed_customers(session, world)
        for module_name in STORY:
            if module_name == "resolvers.attachments":  # files on disk: not needed here
                continue
            await importlib.import_module(module_name).seed_demo_story(session, world)


async def post(app, token: str, query: str) -> dict:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    return response.json()


def test_eligible_resolvers_are_called_directly():
    fast, plain = build_schema(), build_schema(fast_resolvers=False)
    customer, plain_customer = (s._schema.type_map["Customer"].fields for s in (fast, plain))
    for name in ("id", "name", "salesRep", "totalSales", "locations", "balance", "primaryContact"):
        assert customer[name].resolve is not plain_customer[name].resolve, name
    # Async resolvers and resolvers with input-object arguments keep Strawberry's path.
    for name in ("orders", "interactions", "attachments"):
        assert customer[name].resolve.__qualname__ == plain_customer[name].resolve.__qualname__


async def test_direct_calls_answer_exactly_as_strawberry(api, tenant, database, settings):
    await seed_story(database, tenant)
    token = tenant.admin.token
    fast = await post(create_app(settings, database), token, EVERYTHING)
    plain_settings = settings.model_copy(update={"fast_resolvers": False})
    plain = await post(create_app(plain_settings, database), token, EVERYTHING)
    assert "errors" not in fast, fast.get("errors")
    assert fast == plain
    nodes = fast["data"]["customers"]["nodes"]
    assert len(nodes) == fast["data"]["customers"]["totalCount"] == 36  # the demo's, unarchived
    assert sum(len(n["locations"]["nodes"]) for n in nodes) > 40
    assert any(n["orders"]["nodes"] for n in nodes)
    assert any(n["transactions"]["nodes"] for n in nodes)
