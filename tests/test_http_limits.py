"""Bodies and time: size refused before a body is read whole, JSON that cannot be read is a
JSON 400, execution and statements time out, slow clients are dropped; security headers."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from db.session import Database, is_statement_timeout
from server.app import create_app
from server.limits.slow_clients import HeaderTimeoutProtocol

SLOW_CLIENTS_PORT = 8111


class Receiver:
    """An ASGI receive that hands a body over in chunks, counting what was read."""

    def __init__(self, chunks: int, size: int = 64 * 1024) -> None:
        self.left = chunks
        self.size = size
        self.read = 0

    async def __call__(self):
        if self.left == 0:
            await asyncio.sleep(3600)  # a client that stopped sending
        self.left -= 1
        self.read += 1
        return {"type": "http.request", "body": b" " * self.size, "more_body": True}


async def call_asgi(app, headers: list[tuple[bytes, bytes]], receive) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


TOO_LARGE = {
    "errors": [
        {
            "message": "The request body is larger than 1,048,576 bytes.",
            "extensions": {"code": "PAYLOAD_TOO_LARGE"},
        }
    ]
}


async def test_a_declared_large_body_is_refused_unread(app, database):
    before = database.statements
    receive = Receiver(chunks=3200)  # 200 MB, were it read
    status, headers, body = await call_asgi(
        app, [(b"content-type", b"application/json"), (b"content-length", b"209715200")], receive
    )
    assert status == 413
    assert json.loads(body) == TOO_LARGE
    assert headers["content-type"] == "application/json"
    assert receive.read == 0
    assert database.statements == before


async def test_a_chunked_large_body_is_refused_once_past_the_limit(app, database):
    before = database.statements
    receive = Receiver(chunks=3200)
    status, _headers, body = await call_asgi(app, [(b"content-type", b"application/json")], receive)
    assert status == 413
    assert json.loads(body) == TOO_LARGE
    # 1 MiB is 16 chunks of 64 KiB: the 17th passes the limit, nothing more is read.
    assert receive.read == 17
    assert database.statements == before


async def test_bodies_json_cannot_read_are_a_json_400(api):
    latin1 = '{"query": "{ __typename }", "variables": {"name": "Café"}}'.encode("latin-1")
    response = await api.client.post(
        "/graphql", content=latin1, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": "The request body is not UTF-8.", "extensions": {"code": "BAD_REQUEST"}}
        ]
    }
    deep = '{"query": "{ __typename }", "variables": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"
    response = await api.client.post(
        "/graphql", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "message": "The request body nests JSON deeper than 1024 levels.",
        "extensions": {"code": "BAD_REQUEST"},
    }
    # Nesting within the bound is fine.
    ok = {"query": "{ __typename }", "variables": {"x": json.loads("[" * 100 + "]" * 100)}}
    assert (await api.client.post("/graphql", json=ok)).json() == {"data": {"__typename": "Query"}}


async def test_a_body_that_never_finishes_is_refused_in_time(database, settings):
    app = create_app(settings.model_copy(update={"body_timeout_seconds": 0.3}), database)
    receive = Receiver(chunks=3200, size=10)
    receive.left = 1  # one chunk that says more is coming, then nothing
    started = time.perf_counter()
    status, _headers, body = await call_asgi(
        app, [(b"content-type", b"application/json"), (b"content-length", b"100")], receive
    )
    assert time.perf_counter() - started < 2
    assert status == 408
    assert json.loads(body)["errors"][0]["extensions"] == {"code": "REQUEST_TIMEOUT"}


async def test_security_headers_on_every_response(api, tenant):
    graphql = await api.client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {tenant.rep.token}"},
    )
    health = await api.client.get("/healthz")
    for response in (graphql, health):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    # GraphiQL's page allows only its own files, each kind named.
    assert policy.startswith("default-src 'none'; script-src 'self';")
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_405_names_the_allowed_methods(api, tenant):
    response = await api.client.get(
        "/graphql",
        params={"query": "mutation { logout { revoked } }"},
        headers={"Authorization": f"Bearer {tenant.rep.token}"},
    )
    assert response.status_code == 405
    # A mutation can only be POSTed; the resource itself answers GET and POST.
    assert response.headers["allow"] == "POST"
    response = await api.client.delete("/graphql")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_execution_is_stopped_at_the_time_limit(database, settings, monkeypatch):
    from conftest import Api

    from resolvers import company

    async def slow(_context):
        await asyncio.sleep(5)
        return []

    monkeypatch.setattr(company, "payment_terms", slow)
    app = create_app(settings.model_copy(update={"request_timeout_seconds": 0.3}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        api = Api(c, database)
        tenant = await api.new_tenant()
        started = time.perf_counter()
        body = await api.gql("{ paymentTerms { name } }", token=tenant.rep.token)
        assert time.perf_counter() - started < 2
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "The request took longer than 0.3 s and was stopped.",
                "extensions": {"code": "TIMEOUT"},
            }
        ],
    }


@pytest.mark.postgres
async def test_postgres_statements_time_out(database, settings, monkeypatch):
    if database.sqlite:
        pytest.skip("statement_timeout is PostgreSQL's")
    from conftest import Api

    from resolvers import company

    timed = Database(database.url, statement_timeout_ms=100)
    try:
        async with timed.transaction(None) as session:
            with pytest.raises(Exception) as raised:
                await session.execute(text("SELECT pg_sleep(2)"))
        assert is_statement_timeout(raised.value)

        async def sleepy(context):
            await context.session.execute(text("SELECT pg_sleep(2)"))
            return []

        monkeypatch.setattr(company, "payment_terms", sleepy)
        app = create_app(settings, timed)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client, timed)
            tenant = await api.new_tenant()
            body = await api.gql("{ paymentTerms { name } }", token=tenant.rep.token)
        assert body["errors"][0]["extensions"] == {"code": "TIMEOUT"}
        assert body["errors"][0]["message"] == (
            "The database took too long to answer; the request was stopped."
        )
    finally:
        await timed.dispose()


async def test_slow_clients_are_dropped_within_seconds(app):
    """Slowloris: connections that send part of their headers and then nothing."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=SLOW_CLIENTS_PORT,
        http=lambda *a, **k: HeaderTimeoutProtocol(*a, header_timeout=0.5, **k),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    try:
        slow = []
        for _ in range(100):
            connection = socket.create_connection(("127.0.0.1", SLOW_CLIENTS_PORT))
            connection.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
            connection.setblocking(False)
            slow.append(connection)
        # A real request meanwhile is answered.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{SLOW_CLIENTS_PORT}") as client:
            assert (await client.get("/healthz")).status_code == 200
        await asyncio.sleep(1.5)
        closed = 0
        for connection in slow:
            try:
                closed += await asyncio.wait_for(loop.sock_recv(connection, 1), 1) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 1
            connection.close()
        assert closed == 100
        assert len(server.server_state.connections) == 0
    finally:
        server.should_exit = True
        await serving
