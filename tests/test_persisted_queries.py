"""Automatic persisted queries (Apollo's protocol) and trusted documents."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import pytest
import redis

from server.app import create_app
from server.persisted import MemoryDocuments, TrustedDocuments
from tests.http_support import answer_body
from tests.ledger_factory import make_customer

REDIS_URL = "redis://127.0.0.1:6379/0"
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def unique_query() -> str:
    """A document no other test (or earlier run sharing Redis) registered."""
    return f"query Names {{ customers(first: 5) {{ nodes {{ name }} }} }} # {uuid.uuid4()}"


def persisted(text: str | None = None, *, sha: str | None = None) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha or sha256(text or "")}}


async def call(client, body, token=None, headers=None):
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return await client.post("/graphql", json=body, headers=headers)


async def test_apq_registers_then_runs_by_hash_over_post_and_get(api, tenant):
    await make_customer(api, tenant, "Persisted Foods")
    query = unique_query()
    token = tenant.rep.token
    extensions = persisted(query)

    unknown = await call(api.client, {"extensions": extensions}, token)
    assert unknown.status_code == 200
    assert unknown.json() == NOT_FOUND
    # graphql-response+json: no data, so a 4xx (404: Apollo Client gives up APQ on a 400).
    strict = await call(api.client, {"extensions": extensions}, token, GRAPHQL_RESPONSE)
    assert strict.status_code == 404
    assert strict.json() == NOT_FOUND

    registered = await call(api.client, {"query": query, "extensions": extensions}, token)
    expected = {"data": {"customers": {"nodes": [{"name": "Persisted Foods"}]}}}
    assert answer_body(registered) == expected

    by_hash = await call(api.client, {"extensions": extensions}, token)
    assert answer_body(by_hash) == expected
    over_get = await api.client.get(
        "/graphql",
        params={"extensions": json.dumps(extensions)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert over_get.status_code == 200
    assert answer_body(over_get) == expected
    assert over_get.headers["cache-control"] == "private, no-cache"
    assert "etag" in over_get.headers


async def test_apq_refuses_bad_extensions(api, tenant):
    query = unique_query()
    cases = [
        ({"query": query, "extensions": persisted(sha="0" * 64)}, "is not the SHA-256 of `query`"),
        (
            {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256(query)}}},
            "version 1",
        ),
        ({"extensions": persisted(sha="abc")}, "64 hexadecimal digits"),
        ({"extensions": {"persistedQuery": "yes"}}, "must be an object"),
    ]
    for body, message in cases:
        answer = await call(api.client, body, tenant.rep.token)
        assert answer.status_code == 400
        (error,) = answer.json()["errors"]
        assert message in error["message"]
        assert error["extensions"] == {"code": "BAD_REQUEST"}
    # The mismatched text was not registered under the hash it claimed.
    still = await call(api.client, {"extensions": persisted(sha="0" * 64)}, tenant.rep.token)
    assert still.json() == NOT_FOUND


async def test_only_documents_that_validate_are_registered(api, tenant):
    invalid = "{ customers { nope } } # " + uuid.uuid4().hex
    answer = await call(
        api.client, {"query": invalid, "extensions": persisted(invalid)}, tenant.rep.token
    )
    assert answer.json()["errors"][0]["message"].startswith("Cannot query field 'nope'")
    again = await call(api.client, {"extensions": persisted(invalid)}, tenant.rep.token)
    assert again.json() == NOT_FOUND
    # Nor one refused for want of a token: a caller cannot fill the cache anonymously.
    query = unique_query()
    anonymous = await call(api.client, {"query": query, "extensions": persisted(query)})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = await call(api.client, {"extensions": persisted(query)}, tenant.rep.token)
    assert after.json() == NOT_FOUND


def test_memory_documents_stay_within_their_bytes():
    documents = MemoryDocuments(max_bytes=800)
    for n in range(20):
        documents.put_now(f"h{n}", f"query Q{n} {{ __typename }}" + " " * 60)
    assert len(documents) == 9  # 20 documents of 84 bytes in 800
    assert documents.get_now("h0") is None
    assert documents.get_now("h19") == "query Q19 { __typename }" + " " * 60
    # One document over an eighth of the budget is not kept (it would flush the rest).
    documents.put_now("big", "x" * 101)
    assert documents.get_now("big") is None
    assert len(documents) == 9


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
async def two_workers(database, settings):
    """Two apps over one database and one Redis, as two uvicorn workers would be."""
    if not redis_answers():
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    configured = settings.model_copy(update={"redis_url": REDIS_URL})
    clients = []
    for _ in range(2):
        app = create_app(configured, database)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w")
        )
    yield clients
    for client in clients:
        await client.aclose()


async def test_a_document_registered_on_one_worker_runs_by_hash_on_another(
    two_workers, api, tenant
):
    first, second = two_workers
    await make_customer(api, tenant, "Shared Cache Ltd")
    query = unique_query()
    token = tenant.rep.token
    assert (await call(second, {"extensions": persisted(query)}, token)).json() == NOT_FOUND
    await call(first, {"query": query, "extensions": persisted(query)}, token)
    answer = await call(second, {"extensions": persisted(query)}, token)
    assert answer_body(answer) == {"data": {"customers": {"nodes": [{"name": "Shared Cache Ltd"}]}}}
    shared = redis.Redis.from_url(REDIS_URL)
    key = f"rolodex:apq:{sha256(query)}"
    assert shared.get(key).decode() == query
    assert 0 < shared.ttl(key) <= 24 * 60 * 60
    shared.delete(key)


async def test_without_redis_each_worker_keeps_its_own(database, settings, tenant):
    # Nothing listens on port 1: every Redis call fails fast; no request fails with it.
    app = create_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}), database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://w"
    ) as client:
        query = unique_query()
        token = tenant.rep.token
        assert (await call(client, {"extensions": persisted(query)}, token)).json() == NOT_FOUND
        registered = await call(client, {"query": query, "extensions": persisted(query)}, token)
        assert answer_body(registered) == {"data": {"customers": {"nodes": []}}}
        by_hash = await call(client, {"extensions": persisted(query)}, token)
        assert by_hash.status_code == 200
        assert answer_body(by_hash) == {"data": {"customers": {"nodes": []}}}


TRUSTED_NAMES = "query TrustedNames {\n  customers(first: 5) { nodes { name } }\n}\n"
TRUSTED_ME = "query TrustedMe { me { email } }"


@pytest.fixture
async def trusted_client(database, settings, tmp_path):
    folder = tmp_path / "documents"
    (folder / "mobile-2.3").mkdir(parents=True)
    (folder / "names.graphql").write_text(TRUSTED_NAMES)
    (folder / "mobile-2.3" / "me.graphql").write_text(TRUSTED_ME)
    app = create_app(settings.model_copy(update={"trusted_documents": folder}), database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        yield client


async def test_trusted_documents_run_by_hash_or_identical_text(trusted_client, api, tenant):
    await make_customer(api, tenant, "Trusted Traders")
    token = tenant.rep.token
    expected = {"data": {"customers": {"nodes": [{"name": "Trusted Traders"}]}}}
    for body in (
        {"extensions": persisted(TRUSTED_NAMES)},
        # The hash of the text without its trailing newline names it too.
        {"extensions": persisted(TRUSTED_NAMES.strip())},
        {"query": TRUSTED_NAMES},
        {"query": "  " + TRUSTED_NAMES.strip() + "\n\n"},
        {"query": TRUSTED_NAMES, "extensions": persisted(TRUSTED_NAMES)},
    ):
        answer = await call(trusted_client, body, token)
        assert answer_body(answer) == expected, body
    nested = await call(trusted_client, {"extensions": persisted(TRUSTED_ME)}, token)
    assert answer_body(nested) == {"data": {"me": {"email": tenant.rep.email}}}


async def test_trusted_documents_refuse_everything_else_before_any_sql(trusted_client, tenant):
    token = tenant.rep.token
    before = await call(trusted_client, {"extensions": persisted(TRUSTED_ME)}, token)
    assert before.status_code == 200
    other = "query Other { me { email name } }"
    refusals = [
        {"query": other},
        {"query": TRUSTED_NAMES.replace("5", "6")},
        {"extensions": persisted(other)},
        # APQ registration is off: sending text and hash does not add it to the list.
        {"query": other, "extensions": persisted(other)},
    ]
    for body in refusals:
        answer = await call(trusted_client, body, token)
        assert answer.status_code == 200
        (error,) = answer.json()["errors"]
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_IN_LIST"}
        assert "data" not in answer.json()
        strict = await call(trusted_client, body, token, GRAPHQL_RESPONSE)
        assert strict.status_code == 403
    still = await call(trusted_client, {"extensions": persisted(other)}, token)
    assert still.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


async def test_trusted_refusal_costs_no_sql(trusted_client, api, tenant):
    headers = {"Authorization": f"Bearer {tenant.rep.token}"}

    async def statements(client, query: str) -> int:
        before = api.db.statements
        await client.post("/graphql", json={"query": query}, headers=headers)
        return api.db.statements - before

    # `{ __typename }` runs no SQL of its own: what it costs is the token lookup.
    token_lookup = await statements(api.client, "{ __typename }")
    assert (
        await statements(trusted_client, "{ customers(first: 250) { totalCount } }") == token_lookup
    )
    assert await statements(trusted_client, TRUSTED_NAMES) > token_lookup


def test_trusted_documents_setting_is_checked_at_startup(tmp_path):
    with pytest.raises(ValueError, match="no such directory"):
        TrustedDocuments.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no .graphql file"):
        TrustedDocuments.load(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "bad.graphql").write_text("query {")
    with pytest.raises(ValueError, match=r"bad.graphql is not a GraphQL document: Syntax Error"):
        TrustedDocuments.load(tmp_path / "broken")
