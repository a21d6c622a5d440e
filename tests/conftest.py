"""Fixtures: every test runs on SQLite, and on PostgreSQL when one answers.

Each test makes its own companies (tenants), so tests share one migrated
database per backend without cleaning up between them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher

from db.enums import Role
from db.migrate import upgrade
from db.session import Database
from resolvers import credentials
from resolvers.accounts import create_company, create_staff
from resolvers.credentials import issue_token
from server.app import create_app
from server.settings import Settings

POSTGRES_ADMIN_DSN = os.environ.get(
    "ROLODEX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("ROLODEX_TEST_REQUIRE_POSTGRES") == "1"
PASSWORD = "correct-horse-battery"


def _postgres_answers() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


# Argon2's production cost is the point in production and a waste in tests, where
# every test makes a company of four members.
credentials._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

POSTGRES_AVAILABLE = _postgres_answers()
if REQUIRE_POSTGRES and not POSTGRES_AVAILABLE:
    raise RuntimeError(f"PostgreSQL is required (CI) but {POSTGRES_ADMIN_DSN} does not answer")


def _async_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
async def database(request, tmp_path_factory) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "rolodex.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        db = Database(url)
        yield db
        await db.dispose()
        return
    if not POSTGRES_AVAILABLE:
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_DSN} does not answer")
    name = f"rolodex_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _async_url(POSTGRES_ADMIN_DSN, name)
    try:
        await upgrade(url)
        db = Database(url)
        yield db
        await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def settings(database: Database, tmp_path_factory) -> Settings:
    return Settings(
        database_url=database.url,
        attachments_dir=tmp_path_factory.mktemp("attachments"),
        log_json=True,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def app(database: Database, settings: Settings):
    return create_app(settings, database)


@dataclass
class Member:
    id: int
    global_id: str
    email: str
    token: str
    name: str = ""

    @property
    def ref(self) -> dict[str, str]:
        """How audit and dry-run diffs show this staff member (resolvers/diffs.py)."""
        return {"id": self.global_id, "label": self.name}


@dataclass
class Tenant:
    company_id: int
    slug: str
    admin: Member
    manager: Member
    rep: Member
    rep2: Member


class Api:
    """GraphQL over HTTP against the app in-process, with the statement counter."""

    def __init__(self, client: httpx.AsyncClient, db: Database) -> None:
        self.client = client
        self.db = db
        self.last_statements = 0

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        before = self.db.statements
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        self.last_statements = self.db.statements - before
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a request that must succeed without errors."""
        body = await self.gql(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def mutate(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The single payload of a mutation that must have no userErrors."""
        data = await self.ok(query, variables, token=token)
        (payload,) = data.values()
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    async def new_tenant(self, name: str | None = None) -> Tenant:
        return await make_tenant(self.db, name or f"Company {uuid.uuid4().hex[:6]}")


@pytest.fixture
async def api(app, database: Database) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, database)


async def make_tenant(db: Database, name: str) -> Tenant:
    """A company with an admin, a manager and two reps, each with a token."""
    from resolvers.ids import encode_id

    tag = uuid.uuid4().hex[:8]
    async with db.transaction(None) as session:
        company = await create_company(session, name)
        members = {}
        for key, role in (
            ("admin", Role.ADMIN),
            ("manager", Role.MANAGER),
            ("rep", Role.REP),
            ("rep2", Role.REP),
        ):
            email = f"{key}-{tag}@example.com"
            staff = await create_staff(
                session,
                company.id,
                name=f"{key.capitalize()} {tag}",
                email=email,
                role=role,
                password=PASSWORD,
            )
            token = await issue_token(session, staff, ttl_hours=1)
            members[key] = Member(staff.id, encode_id("Staff", staff.id), email, token, staff.name)
    return Tenant(company_id=company.id, slug=company.slug, **members)


@pytest.fixture
async def tenant(api: Api) -> Tenant:
    return await api.new_tenant()


@pytest.fixture
async def other_tenant(api: Api) -> Tenant:
    return await api.new_tenant()
