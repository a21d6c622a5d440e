"""The planned path (schema/planner.py) answers exactly as graphql-core and Strawberry do,
over the demo story's data; it runs what it covers, gives the rest to the regular
executor, and refuses to install where it would skip something."""

from __future__ import annotations

import enum
import importlib
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
import strawberry
from graphql import parse
from sqlalchemy import select
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from db.models import Company, Staff
from db.session import Scope
from resolvers.demo import STORY, DemoWorld, _seed_customers
from resolvers.locations import LOCATIONS_OF_CUSTOMER
from resolvers.pagination import encode_cursor
from schema import build_schema
from schema.planner import PLANNER, PlannedExecutionContext, Planner, UnsafeToPlan, install
from schema.scalars import SCALAR_MAP
from server.app import create_app
from tests.test_validation_limits import fan_out, nested_fan_out

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
      later: locations(first: 2, after: "LATER_CURSOR") { nodes { id } }
      interactions(first: 3) { totalCount nodes { id kind body createdAt author { ...Rep } } }
      orders(first: 3) {
        nodes { id number status placedAt total amountPaid balanceDue
                lines { sku description quantity unitPrice lineTotal } }
      }
      transactions(first: 3) { nodes { id kind amount method occurredAt allocations { amount } } }
    }
  }
  locations(first: 30) { nodes { id name effectiveSalesRep { id } customer { id name } } }
}"""

# The customer's locations after one named "z" (the list's own cursor form).
EVERYTHING = EVERYTHING.replace("LATER_CURSOR", encode_cursor(["z", 0], LOCATIONS_OF_CUSTOMER))


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


def planner_of(app) -> Planner:
    return app.state.schema._schema.extensions[PLANNER]


async def test_planned_answers_exactly_as_the_regular_executor(api, tenant, database, settings):
    await seed_story(database, tenant)
    token = tenant.admin.token
    planned_app = create_app(settings.model_copy(update={"planned_execution": True}), database)
    fast = await post(planned_app, token, EVERYTHING)
    regular_settings = settings.model_copy(update={"planned_execution": False})
    plain = await post(create_app(regular_settings, database), token, EVERYTHING)
    assert "errors" not in fast, fast.get("errors")
    assert fast == plain
    assert (planner_of(planned_app).planned, planner_of(planned_app).fallbacks) == (1, 0)
    nodes = fast["data"]["customers"]["nodes"]
    assert len(nodes) == fast["data"]["customers"]["totalCount"] == 36  # the demo's, unarchived
    assert sum(len(n["locations"]["nodes"]) for n in nodes) > 40
    assert any(n["orders"]["nodes"] for n in nodes)
    assert any(n["transactions"]["nodes"] for n in nodes)


# ---------------------------------------------------------------- a small schema, in isolation


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Broken:
    @property
    def label(self) -> str:
        raise ValueError("no label")


@strawberry.type
class Item:
    name: str
    count: int
    price: Decimal
    color: Color
    note: str | None = None
    label: str = strawberry.field(name="label", default="")

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def later(self) -> str:
        return self.name

    @strawberry.field
    def tags(self) -> list[str]:
        return [self.name, "x"]


@strawberry.type
class SmallQuery:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(name="a", count=1, price=Decimal("1.5"), color=Color.RED),
            Item(name="b", count=2, price=Decimal("2"), color=Color.BLUE, note="n"),
        ]

    @strawberry.field
    def bad(self) -> list[Item]:
        item: Any = Item(name="c", count=3, price=Decimal("3"), color=Color.RED)
        item.count = None  # a null in a non-null plain field
        return [item]

    @strawberry.field
    def broken(self) -> Item | None:
        return Broken()  # type: ignore[return-value]

    @strawberry.field
    def fails(self) -> str:
        raise ValueError("refused")


def small_schema(planned: bool, **options: Any) -> strawberry.Schema:
    built = strawberry.Schema(
        query=SmallQuery,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=PlannedExecutionContext if planned else None,
        **options,
    )
    if planned:
        install(built)
    return built


async def answer(schema: strawberry.Schema, query: str) -> tuple[Any, list]:
    result = await schema.execute(query)
    return result.data, [(e.message, e.path) for e in result.errors or []]


SMALL_QUERIES = [
    "{ items { name count price color note label shout(times: 2) a: name __typename } }",
    "{ items { later tags ...F } } fragment F on Item { name count }",
    "{ bad { name count } }",
    "{ broken { label } }",
    "{ fails }",
    "{ items { name } fails }",
    "query Q($on: Boolean!) { items { name @include(if: $on) } }",
]


async def test_same_answers_and_errors_on_a_small_schema():
    planned, regular = small_schema(True), small_schema(False)
    for query in SMALL_QUERIES:
        assert await answer(planned, query) == await answer(regular, query), query
    planner = planned._schema.extensions[PLANNER]
    # Every document but the one with a directive ran by its plan, errors included.
    assert (planner.planned, planner.fallbacks) == (len(SMALL_QUERIES) - 1, 0)
    assert await answer(planned, SMALL_QUERIES[0]) == (
        {
            "items": [
                {
                    "name": "a",
                    "count": 1,
                    "price": "1.50",
                    "color": "RED",
                    "note": None,
                    "label": "",
                    "shout": "AA",
                    "a": "a",
                    "__typename": "Item",
                },
                {
                    "name": "b",
                    "count": 2,
                    "price": "2.00",
                    "color": "BLUE",
                    "note": "n",
                    "label": "",
                    "shout": "BB",
                    "a": "b",
                    "__typename": "Item",
                },
            ]
        },
        [],
    )
    assert await answer(planned, "{ bad { name count } }") == (
        None,
        [("Cannot return null for non-nullable field Item.count.", ["bad", 0, "count"])],
    )
    assert await answer(planned, "{ broken { label } }") == (
        {"broken": None},
        [("no label", ["broken", "label"])],
    )


def test_plans_are_kept_per_operation_in_a_bounded_cache():
    planner = Planner(size=2)
    schema = small_schema(True)._schema

    class Executor:  # what Planner.plan reads of graphql-core's executor
        def __init__(self, query: str) -> None:
            self.schema, self.operation = schema, parse(query).definitions[0]
            self.fragment_definitions = {}

    first = Executor("{ items { name } }")
    plan = planner.plan(first)
    assert plan is not None and planner.plan(first) is plan  # planned once
    for n in range(5):
        planner.plan(Executor(f"{{ items {{ name n{n}: count }} }}"))
    assert len(planner._plans) == 2
    assert planner.plan(Executor("mutation { x }")) is None  # only queries


class EveryField(SchemaExtension):
    def resolve(self, _next, root, info, *args, **kwargs):
        return _next(root, info, *args, **kwargs)


class Handled(Exception):
    pass


class HandledError(strawberry.ExceptionHandler[Handled, Item]):
    def handle(self, exception, *, field, info):
        return Item(name="handled", count=0, price=Decimal(0), color=Color.RED)


def test_refuses_to_install_where_fields_need_their_wrapper():
    with pytest.raises(UnsafeToPlan, match="resolves every field"):
        small_schema(True, extensions=[EveryField])
    with pytest.raises(UnsafeToPlan, match="exception handlers"):
        small_schema(True, exception_handlers=[HandledError()])


@pytest.mark.parametrize("document", [fan_out(30), nested_fan_out(30)], ids=["root", "nested"])
def test_planning_is_linear_on_fragment_fan_outs(document):
    """3^30 spreads of 31 fragments: each fragment's fields collected once per type."""
    # Planned whatever ROLODEX_PLANNED_EXECUTION says: the planner itself is under test.
    schema = build_schema(planned=True)._schema
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if d.kind == "operation_definition")

    class Executor:
        def __init__(self) -> None:
            self.schema, self.operation = schema, operation
            self.fragment_definitions = {
                d.name.value: d for d in parsed.definitions if d.kind == "fragment_definition"
            }

    started = time.perf_counter()
    plan = Planner().plan(Executor())
    assert time.perf_counter() - started < 1.0
    assert plan is not None and plan.steps
