"""Fuzzing every query and mutation with schemathesis's GraphQL support (issue 14).

Schemathesis builds queries and mutations from the schema's own introspection, with
strategies for our scalars (Decimal, DateTime, Date, JSON, Upload) and ids that are mostly
real rows' (a customer, an order, a payment ... of the signed-in company), and sends them to
a real server process. Every answer must be an answer: no HTTP 5xx, no
INTERNAL_SERVER_ERROR, every GraphQL error coded, no driver or SQL text in any message.
Expected refusals (userErrors, BAD_USER_INPUT, NOT_FOUND ...) are fine.

`make test` runs a short seeded profile on SQLite (`ROLODEX_FUZZ_EXAMPLES`, default 3 per
operation); `make fuzz` the long one on both databases.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import asyncpg
import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from db.migrate import upgrade
from db.session import Database
from schema import build_schema
from tests.api_rows import seed_rows
from tests.conftest import POSTGRES_ADMIN_DSN, POSTGRES_AVAILABLE, _async_url, make_tenant
from tests.live_server import live_server

EXAMPLES = int(os.environ.get("ROLODEX_FUZZ_EXAMPLES", "3"))
BACKENDS = os.environ.get("ROLODEX_FUZZ_BACKENDS", "sqlite").split(",")
# A file to append "operation, status, error codes" to, one line a request (make fuzz).
TALLY = os.environ.get("ROLODEX_FUZZ_TALLY")
# Messages that betray internals: driver, SQL, Python.
INTERNAL = re.compile(
    r"sqlalchemy|sqlite3|asyncpg|psycopg|Traceback|Background on this error|"
    r"\b(SELECT|INSERT|UPDATE|DELETE)\b .* \b(FROM|INTO|SET|WHERE)\b|object has no attribute"
)
# Ids of real rows, filled once the server has data (the strategies are deferred).
REAL_IDS: list[str] = []
JUNK_IDS = ["", "x", "Q3VzdG9tZXI6", "Q3VzdG9tZXI6OTk5OTk5OTk5OTk5", "Q3VzdG9tZXI6MA=="]

decimals = st.one_of(
    st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False).map(str),
    st.sampled_from(["0", "0.001", "1e28", "-1e30", "99999999999999999999", "NaN", "x", ""]),
).map(nodes.String)
schemathesis.graphql.scalar("Decimal", decimals)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        st.sampled_from(["2026-13-01T00:00:00+00:00", "yesterday", "2026-01-01T00:00:00"]),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "Date",
    st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(["2026-02-30", "0"])).map(
        nodes.String
    ),
)
schemathesis.graphql.scalar(
    "JSON", st.one_of(st.text(max_size=20).map(nodes.String), st.integers().map(nodes.Int))
)
# Over JSON an Upload can only be null (files travel as multipart, tested elsewhere).
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))
schemathesis.graphql.scalar(
    "ID",
    st.one_of(
        st.deferred(lambda: st.sampled_from(REAL_IDS)),
        st.sampled_from(JUNK_IDS),
        st.text(max_size=30),
    ).map(nodes.String),
)

SCHEMA = schemathesis.graphql.from_dict(
    {"data": graphql.introspection_from_schema(build_schema()._schema)}
).exclude(name="Mutation.logout")  # it would sign the fuzzer out


async def _seed_over_http(base: str, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def post(query: str, variables: dict) -> dict:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json()
            assert "errors" not in body, body
            (payload,) = body["data"].values()
            assert payload["userErrors"] == [], payload
            return payload

        return await seed_rows(post)


async def _prepare(backend: str, workdir: Path) -> tuple[str, str, list[str]]:
    """A migrated database of its own with one company: (url, admin token, staff ids)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
    else:
        name = f"rolodex_fuzz_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        url = _async_url(POSTGRES_ADMIN_DSN, name)
    await upgrade(url)
    db = Database(url)
    try:
        tenant = await make_tenant(db, "Fuzzed Co")
    finally:
        await db.dispose()
    # Not the admin's own id: a fuzzed staffUpdate changing its password would sign the
    # fuzzer out (tokens of a member whose password changes are revoked).
    staff = [m.global_id for m in (tenant.manager, tenant.rep, tenant.rep2)]
    return url, tenant.admin.token, staff


async def _drop(url: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_server(request) -> Iterator[tuple[str, str]]:
    backend = request.param
    if backend == "postgres" and not POSTGRES_AVAILABLE:
        pytest.skip("PostgreSQL does not answer")
    with tempfile.TemporaryDirectory() as workdir:
        url, token, staff = asyncio.run(_prepare(backend, Path(workdir)))
        try:
            with live_server(
                url,
                Path(workdir) / "server.log",
                rate_limit_points="1000000000",
                rate_limit_restore_per_second="1000000000",
            ) as base:
                REAL_IDS[:] = [*asyncio.run(_seed_over_http(base, token)), *staff]
                yield base, token
        finally:
            if backend == "postgres":
                asyncio.run(_drop(url))


def check_honest(response) -> None:
    """An answer, not a crash: no 5xx, every error coded, none internal."""
    assert response.status_code < 500, response.text[:2000]
    body = response.json()
    assert "data" in body or response.status_code == 400, body  # a GraphQL answer
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", error
        assert not INTERNAL.search(error["message"]), error


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_honestly(case, fuzz_server):
    base, token = fuzz_server
    response = case.call(base_url=f"{base}/graphql", headers={"Authorization": f"Bearer {token}"})
    if TALLY:
        errors = (response.json().get("errors") or []) if response.status_code < 500 else []
        codes = sorted({(e.get("extensions") or {}).get("code", "-") for e in errors}) or ["OK"]
        with open(TALLY, "a") as tally:
            first = errors[0]["message"][:120] if errors else ""
            tally.write(
                f"{case.operation.label}\t{response.status_code}\t{','.join(codes)}\t{first}\n"
            )
    check_honest(response)
