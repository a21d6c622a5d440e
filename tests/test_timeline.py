"""customerTimeline: live interaction events over WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from resolvers.ids import encode_id
from resolvers.timeline import CHANNEL, TimelineEvent, TimelineEventKind, hub_for
from tests.relationship_support import make_customers, pk

SUBSCRIBE = """subscription($id: ID!) { customerTimeline(customerId: $id) {
  event interactionId interaction { body kind edited author { name } } } }"""
CREATE = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id } userErrors { code } } }"""
WAIT_SECONDS = 5


@asynccontextmanager
async def raw_socket(app) -> AsyncIterator[Any]:
    """A WebSocket to /graphql speaking graphql-transport-ws, in this event loop.

    (The transport's task group must open and close in one task: no fixture.)"""
    transport = ASGIWebSocketTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
            yield ws


@asynccontextmanager
async def socket(app, payload: dict[str, Any] | None) -> AsyncIterator[Any]:
    """A connection initialised with `payload` (the connection_init payload)."""
    async with raw_socket(app) as ws:
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await ws.send_json(message)
        yield ws


async def subscribe(ws: Any, database, tenant, customer: str, op: str = "1") -> None:
    """Subscribes and waits until this process's hub has the subscriber."""
    hub = hub_for(database)
    before = hub.subscriber_count(tenant.company_id, pk(customer))
    await ws.send_json(
        {
            "id": op,
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"id": customer}},
        }
    )
    for _ in range(WAIT_SECONDS * 100):
        if hub.subscriber_count(tenant.company_id, pk(customer)) > before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never registered")


async def next_event(ws: Any) -> dict[str, Any]:
    message = await ws.receive_json(timeout=WAIT_SECONDS)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["customerTimeline"]


def bearer(member) -> dict[str, str]:
    return {"Authorization": f"Bearer {member.token}"}


async def test_events_arrive_after_commits_through_graphql(api, app, tenant, database):
    harbor, other = await make_customers(database, tenant, "Harbor", "Other")
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, harbor)

        # Another customer's entries and refused input publish nothing to this page.
        await api.mutate(
            CREATE,
            {"input": {"customerId": other, "kind": "CALL", "body": "Elsewhere"}},
            token=tenant.rep.token,
        )
        refused = await api.ok(
            CREATE,
            {"input": {"customerId": harbor, "kind": "CALL", "body": " "}},
            token=tenant.rep.token,
        )
        assert refused["interactionCreate"]["userErrors"] == [{"code": "REQUIRED"}]

        created = await api.mutate(
            CREATE,
            {"input": {"customerId": harbor, "kind": "CALL", "body": "Called about invoices"}},
            token=tenant.rep2.token,
        )
        entry = created["interaction"]["id"]
        event = await next_event(ws)
        assert event["event"] == "CREATED"
        assert event["interactionId"] == entry
        assert event["interaction"]["body"] == "Called about invoices"
        assert event["interaction"]["kind"] == "CALL"
        assert event["interaction"]["edited"] is False
        assert event["interaction"]["author"]["name"].startswith("Rep2 ")

        await api.mutate(
            """mutation($id: ID!) { interactionUpdate(id: $id, input: {body: "Called: invoices sent"}) {
                 userErrors { code } } }""",
            {"id": entry},
            token=tenant.manager.token,
        )
        event = await next_event(ws)
        assert (event["event"], event["interactionId"]) == ("UPDATED", entry)
        assert event["interaction"]["body"] == "Called: invoices sent"
        assert event["interaction"]["edited"] is True

        await api.mutate(
            "mutation($id: ID!) { interactionDelete(id: $id) { userErrors { code } } }",
            {"id": entry},
            token=tenant.manager.token,
        )
        event = await next_event(ws)
        assert event == {"event": "DELETED", "interactionId": entry, "interaction": None}
    # Leaving the page unsubscribes.
    for _ in range(WAIT_SECONDS * 100):
        if hub_for(database).subscriber_count(tenant.company_id, pk(harbor)) == 0:
            break
        await asyncio.sleep(0.01)
    assert hub_for(database).subscriber_count(tenant.company_id, pk(harbor)) == 0


async def test_unauthenticated_connections_are_refused(app, tenant):
    for payload in (None, {}, {"Authorization": "Bearer not-a-token"}, {"Authorization": 42}):
        async with socket(app, payload) as ws:
            with pytest.raises(WebSocketDisconnect) as closed:
                await ws.receive_json(timeout=WAIT_SECONDS)
        assert closed.value.code == 4403, payload


async def test_subscribing_before_connection_init_is_refused(app, tenant, database):
    (customer,) = await make_customers(database, tenant, "Early")
    async with raw_socket(app) as ws:
        await ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"id": customer}},
            }
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=WAIT_SECONDS)
    assert closed.value.code == 4401


async def test_another_companys_customer_yields_an_error_and_nothing_else(
    api, app, tenant, other_tenant, database
):
    (theirs,) = await make_customers(database, other_tenant, "Theirs")
    async with socket(app, bearer(tenant.admin)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        for op, customer_id, code in [
            ("1", theirs, "NOT_FOUND"),
            ("2", encode_id("Staff", tenant.rep.id), "INVALID_ID"),
        ]:
            await ws.send_json(
                {
                    "id": op,
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": customer_id}},
                }
            )
            message = await ws.receive_json(timeout=WAIT_SECONDS)
            assert message["id"] == op
            assert message["payload"]["data"] is None
            assert message["payload"]["errors"][0]["extensions"]["code"] == code
            assert (await ws.receive_json(timeout=WAIT_SECONDS)) == {"id": op, "type": "complete"}
        assert hub_for(database).subscriber_count(tenant.company_id, pk(theirs)) == 0
        assert hub_for(database).subscriber_count(other_tenant.company_id, pk(theirs)) == 0
        await api.mutate(
            CREATE,
            {"input": {"customerId": theirs, "kind": "NOTE", "body": "Private"}},
            token=other_tenant.rep.token,
        )
        with pytest.raises(TimeoutError):
            await ws.receive_json(timeout=0.5)


async def test_two_subscriptions_on_one_connection(api, app, tenant, database):
    a, b = await make_customers(database, tenant, "Page A", "Page B")
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, a, op="a")
        await subscribe(ws, database, tenant, b, op="b")
        for customer in (b, a):
            await api.mutate(
                CREATE,
                {"input": {"customerId": customer, "kind": "TEXT", "body": customer}},
                token=tenant.rep.token,
            )
        received = {}
        for _ in range(2):
            message = await ws.receive_json(timeout=WAIT_SECONDS)
            received[message["id"]] = message["payload"]["data"]["customerTimeline"]["interaction"][
                "body"
            ]
        assert received == {"a": a, "b": b}


@pytest.mark.postgres
async def test_commits_of_another_server_process_reach_subscribers(api, app, tenant, database):
    """Another worker's commit arrives as a NOTIFY from another connection."""
    if database.sqlite:
        pytest.skip("SQLite serves one process: no cross-process channel to test")
    (customer,) = await make_customers(database, tenant, "Shared")
    created = await api.mutate(
        CREATE,
        {"input": {"customerId": customer, "kind": "VISIT", "body": "Seen elsewhere"}},
        token=tenant.rep.token,
    )
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, customer)
        dsn = database.url.replace("postgresql+asyncpg://", "postgresql://", 1)
        other_worker = await asyncpg.connect(dsn)
        try:
            event = TimelineEvent(
                company_id=tenant.company_id,
                customer_id=pk(customer),
                interaction_id=pk(created["interaction"]["id"]),
                kind=TimelineEventKind.UPDATED,
            )
            await other_worker.execute("SELECT pg_notify($1, $2)", CHANNEL, event.to_json())
        finally:
            await other_worker.close()
        event_data = await next_event(ws)
        assert event_data["event"] == "UPDATED"
        assert event_data["interaction"]["body"] == "Seen elsewhere"


async def test_a_deactivated_member_stops_receiving(api, app, tenant, database):
    (customer,) = await make_customers(database, tenant, "Long Open Page")
    async with socket(app, bearer(tenant.rep2)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, customer)
        await api.mutate(
            """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
                 userErrors { code } } }""",
            {"id": tenant.rep2.global_id},
            token=tenant.admin.token,
        )
        await api.mutate(
            CREATE,
            {"input": {"customerId": customer, "kind": "NOTE", "body": "Not for rep2"}},
            token=tenant.rep.token,
        )
        message = await ws.receive_json(timeout=WAIT_SECONDS)
        assert message["type"] == "next"
        assert message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await ws.receive_json(timeout=WAIT_SECONDS)) == {"id": "1", "type": "complete"}


async def test_a_subscriber_that_falls_behind_is_told_to_resubscribe(
    app, tenant, database, monkeypatch
):
    import resolvers.timeline

    monkeypatch.setattr(resolvers.timeline, "MAX_QUEUED_EVENTS", 2)
    (customer,) = await make_customers(database, tenant, "Busy Page")
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, customer)
        hub = hub_for(database)
        # Three events at once, with no chance for the page to read between them.
        for n in range(3):
            hub.deliver(
                TimelineEvent(tenant.company_id, pk(customer), 10**6 + n, TimelineEventKind.DELETED)
            )
        message = await ws.receive_json(timeout=WAIT_SECONDS)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "TIMELINE_OVERFLOW"
        assert message["payload"]["errors"][0]["message"] == (
            "Timeline events were missed; subscribe again."
        )
        assert (await ws.receive_json(timeout=WAIT_SECONDS)) == {"id": "1", "type": "complete"}


@pytest.mark.postgres
async def test_a_lost_listener_connection_ends_subscriptions_and_listens_anew(
    api, app, tenant, database
):
    if database.sqlite:
        pytest.skip("SQLite has no listener connection")
    (customer,) = await make_customers(database, tenant, "Flaky Network")
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await subscribe(ws, database, tenant, customer)
        listener_pid = hub_for(database)._connection.get_server_pid()
        dsn = database.url.replace("postgresql+asyncpg://", "postgresql://", 1)
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", listener_pid)
        finally:
            await admin.close()
        message = await ws.receive_json(timeout=WAIT_SECONDS)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "TIMELINE_OVERFLOW"
        assert (await ws.receive_json(timeout=WAIT_SECONDS)) == {"id": "1", "type": "complete"}
        # Subscribing again listens on a new connection, and events flow.
        await subscribe(ws, database, tenant, customer, op="2")
        assert hub_for(database)._connection.get_server_pid() != listener_pid
        await api.mutate(
            CREATE,
            {"input": {"customerId": customer, "kind": "CALL", "body": "Back online"}},
            token=tenant.rep.token,
        )
        event = await next_event(ws)
        assert event["interaction"]["body"] == "Back online"
