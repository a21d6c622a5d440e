"""The planned path answers every document exactly as the regular executor does.

hypothesis-graphql generates query documents over the real schema (the read roots a
client pages through), with real global ids of the demo story's rows for every `ID`
argument; each runs through an app on the planned path and one on the regular
executor, over the same data, and the two answers must be equal: data, and errors by
message, path and code.
"""

from __future__ import annotations

from typing import Any

import httpx
import strawberry
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from schema import build_schema
from schema.planner import PLANNER
from server.app import create_app
from tests.test_planner import seed_story

ROOTS = ["me", "customer", "customers", "locations", "orders", "transactions", "interactions"]
EXAMPLES = 30

IDS = """
query Ids {
  customers(first: 8) { nodes { id contacts { id } locations(first: 2) { nodes { id } } } }
  orders(first: 5) { nodes { id } }
  staffMembers { nodes { id } }
}"""


def global_ids(data: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return sorted(set(found))


def documents(schema: strawberry.Schema, ids: list[str]) -> list[str]:
    """EXAMPLES documents, the same on every run (derandomised)."""
    strategy = queries(
        schema._schema,
        fields=ROOTS,
        custom_scalars={
            "ID": st.sampled_from(ids).map(nodes.String),
            "Date": st.sampled_from(["2026-01-01", "2026-06-30"]).map(nodes.String),
            "DateTime": st.sampled_from(["2026-03-01T00:00:00+00:00"]).map(nodes.String),
            "Decimal": st.sampled_from(["0", "12.50"]).map(nodes.String),
        },
        allow_x00=False,
    )
    drawn: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def draw(document: str) -> None:
        drawn.append(document)

    draw()
    return drawn


async def post(app, token: str, query: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
    body = response.json()
    errors = sorted(
        (e["message"], repr(e.get("path")), repr((e.get("extensions") or {}).get("code")))
        for e in body.get("errors") or []
    )
    return {"status": response.status_code, "data": body.get("data"), "errors": errors}


async def test_generated_documents_answer_alike(api, tenant, database, settings):
    await seed_story(database, tenant)
    token = tenant.admin.token
    planned_app = create_app(settings.model_copy(update={"planned_execution": True}), database)
    regular_app = create_app(settings.model_copy(update={"planned_execution": False}), database)
    ids = global_ids((await post(regular_app, token, IDS))["data"])
    assert len(ids) > 20
    drawn = documents(build_schema(planned=False), ids)
    assert len(drawn) == EXAMPLES
    answered = 0
    for document in drawn:
        planned = await post(planned_app, token, document)
        regular = await post(regular_app, token, document)
        assert planned == regular, document
        answered += planned["data"] is not None
    planner = planned_app.state.schema._schema.extensions[PLANNER]
    # Most documents ran by their plan (the rest: directives, interfaces, refusals).
    assert planner.planned >= EXAMPLES // 2, (planner.planned, planner.fallbacks)
    assert answered >= EXAMPLES // 4
