"""Fair buckets per token and per company, in memory and in Redis: an empty bucket answers
HTTP 429 with Retry-After and THROTTLED; sign-in throttled per e-mail and per address."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import PASSWORD, Api

from resolvers import credentials
from server.app import create_app
from server.limits.buckets import Bucket, MemoryBuckets, RedisBuckets

REDIS_URL = os.environ.get("ROLODEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STORES = ["memory", "redis"]


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


REDIS_AVAILABLE = redis_answers()


def store_settings(store: str) -> dict:
    if store == "memory":
        return {"redis_url": None}
    if not REDIS_AVAILABLE:
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    # A prefix per run: runs (and parallel engineers) never share buckets.
    return {"redis_url": REDIS_URL, "redis_key_prefix": f"rolodex-test:{uuid.uuid4().hex}:"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_bucket_leaks_back_at_its_rate():
    clock = FakeClock()
    store = MemoryBuckets(clock)
    bucket = Bucket("token:1", capacity=100, rate=10)
    first = await store.take([bucket], 70)
    assert first.taken and first.levels[0].available == 30
    refused = await store.take([bucket], 50)
    assert not refused.taken
    assert refused.retry_after == 2.0  # 20 missing points at 10 a second
    clock.now += 2
    assert (await store.take([bucket], 50)).levels[0].available == 0
    # A refund never fills past the capacity.
    clock.now += 100
    assert (await store.take([bucket], -500)).levels[0].available == 100


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisBuckets]:
    if not REDIS_AVAILABLE:
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    store = RedisBuckets(REDIS_URL, f"rolodex-test:{uuid.uuid4().hex}:")
    yield store
    await store.close()


async def test_redis_bucket_takes_from_all_or_none(redis_store):
    token = Bucket("token:1", capacity=100, rate=0.001)
    company = Bucket("company:1", capacity=30, rate=0.001)
    assert (await redis_store.take([token, company], 20)).taken
    refused = await redis_store.take([token, company], 20)
    assert not refused.taken
    # The company bucket refused, so the token bucket was not charged either.
    levels = (await redis_store.take([token], 0)).levels
    assert 79.9 < levels[0].available <= 80.01
    assert refused.retry_after == pytest.approx((20 - 10) / 0.001, rel=0.01)


async def test_redis_bucket_is_atomic_under_concurrency(redis_store):
    bucket = Bucket("token:race", capacity=100, rate=0.0001)
    outcomes = await asyncio.gather(*(redis_store.take([bucket], 10) for _ in range(25)))
    assert sum(outcome.taken for outcome in outcomes) == 10


@pytest.fixture(params=STORES)
async def throttled_api(request, database, settings) -> AsyncIterator[Api]:
    tight = settings.model_copy(
        update={
            "rate_limit_points": 100,
            "rate_limit_restore_per_second": 1.0,
            "company_rate_limit_points": 150,
            "company_rate_limit_restore_per_second": 1.0,
            "login_attempts_per_email": 3,
            "login_attempts_per_address": 5,
            **store_settings(request.param),
        }
    )
    app = create_app(tight, database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, database)
    await app.state.limits.store.close()


# me 1 + assignedCustomers (2 + 50 × 1): 53 points
COSTLY = "{ me { id assignedCustomers { nodes { id } } } }"


async def post(api: Api, query: str, token: str) -> httpx.Response:
    return await api.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_an_empty_token_bucket_answers_429(throttled_api):
    tenant = await throttled_api.new_tenant()
    first = await post(throttled_api, COSTLY, tenant.rep.token)
    assert first.status_code == 200
    cost = first.json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 53
    assert cost["actualQueryCost"] == 3  # no customers: the page is empty
    # 100 - 53 + 50 refunded
    assert 97 <= cost["throttleStatus"]["currentlyAvailable"] <= 98
    # Spend the bucket down: each request pays only its actual 3, until 53 no longer fit.
    statuses = []
    for _ in range(20):
        response = await post(throttled_api, COSTLY, tenant.rep.token)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429
    body = response.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "THROTTLED"
    assert body["data"] is None
    assert int(response.headers["Retry-After"]) >= 1
    status = body["extensions"]["cost"]["throttleStatus"]
    assert status["currentlyAvailable"] < 53
    assert status["maximumAvailable"] == 100
    # Another member of the company has a bucket of their own.
    assert (await post(throttled_api, COSTLY, tenant.manager.token)).status_code == 200


async def test_one_company_cannot_starve_another(throttled_api):
    tenant = await throttled_api.new_tenant()
    other = await throttled_api.new_tenant()
    members = (tenant.admin, tenant.manager, tenant.rep, tenant.rep2)
    # Each request pays 3 in the end, from its token (100) and its company (150): the
    # company's bucket runs dry (after ~33 requests) long before any one token's (~16 each).
    refused = None
    for n in range(60):
        response = await post(throttled_api, COSTLY, members[n % 4].token)
        if response.status_code == 429:
            refused = response
            break
    assert refused is not None
    assert 30 <= n <= 40
    # The token's own bucket still held the 53 asked: the company's was the empty one.
    assert refused.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] >= 53
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    # The other company is untouched.
    assert (await post(throttled_api, COSTLY, other.rep.token)).status_code == 200


LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { token userErrors { field message code } } }"""


async def login(api: Api, email: str, password: str) -> dict:
    data = await api.ok(LOGIN, {"input": {"email": email, "password": password}})
    return data["login"]


class Verifications:
    def __init__(self, monkeypatch) -> None:
        self.count = 0
        original = credentials.verify_password

        def counted(password_hash, password):
            self.count += 1
            return original(password_hash, password)

        monkeypatch.setattr(credentials, "verify_password", counted)


async def test_login_is_throttled_per_email_without_checking_the_password(
    throttled_api, monkeypatch
):
    tenant = await throttled_api.new_tenant()
    verifications = Verifications(monkeypatch)
    for _ in range(3):
        failed = await login(throttled_api, tenant.rep.email, "wrong-password")
        assert failed["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert verifications.count == 3
    refused = await login(throttled_api, tenant.rep.email, PASSWORD)
    assert refused["token"] is None
    (error,) = refused["userErrors"]
    assert error["code"] == "THROTTLED"
    assert error["message"].startswith("Too many failed sign-ins; try again in ")
    # The correct password was not even looked at.
    assert verifications.count == 3
    # Another member's e-mail still signs in (and gives its attempt back).
    assert (await login(throttled_api, tenant.manager.email, PASSWORD))["token"]


async def test_login_is_throttled_per_client_address(throttled_api):
    tenant = await throttled_api.new_tenant()
    # Five failures from one address, one per e-mail: no e-mail reached its own limit.
    for n in range(5):
        failed = await login(throttled_api, f"nobody-{n}-{uuid.uuid4().hex}@example.com", "x" * 12)
        assert failed["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = await login(throttled_api, tenant.admin.email, PASSWORD)
    assert refused["userErrors"][0]["code"] == "THROTTLED"


async def test_password_hashing_never_runs_inside_a_write_transaction(
    api, tenant, database, monkeypatch
):
    inside = 0
    original = type(database).transaction

    def tracked(self, scope):
        manager = original(self, scope)

        class Tracked:
            async def __aenter__(self):
                nonlocal inside
                session = await manager.__aenter__()
                inside += 1
                return session

            async def __aexit__(self, *exc):
                nonlocal inside
                inside -= 1
                return await manager.__aexit__(*exc)

        return Tracked()

    monkeypatch.setattr(type(database), "transaction", tracked)
    hasher = credentials._hasher
    seen: list[int] = []

    class Watching:
        def hash(self, password):
            seen.append(inside)
            return hasher.hash(password)

        def verify(self, password_hash, password):
            seen.append(inside)
            return hasher.verify(password_hash, password)

    monkeypatch.setattr(credentials, "_hasher", Watching())
    assert (await login(api, tenant.rep.email, PASSWORD))["token"]
    assert (await login(api, tenant.rep.email, "wrong-password-1"))["userErrors"]
    created = await api.mutate(
        """mutation($input: StaffCreateInput!) { staffCreate(input: $input) {
          staff { id } userErrors { field message code } } }""",
        {
            "input": {
                "name": "New Hire",
                "email": f"hire-{uuid.uuid4().hex[:8]}@example.com",
                "role": "REP",
                "password": "a-long-password",
            }
        },
        token=tenant.admin.token,
    )
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {password: "another-long-one"}) {
          staff { id } userErrors { field message code } } }""",
        {"id": created["staff"]["id"]},
        token=tenant.admin.token,
    )
    # login ok, login wrong, staffCreate, staffUpdate: four hashes, none inside a transaction.
    assert seen == [0, 0, 0, 0]
