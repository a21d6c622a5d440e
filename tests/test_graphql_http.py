"""GraphQL over HTTP: media types and status codes, JSON request errors, GET caching, CORS."""

from __future__ import annotations

import httpx
import pytest

from server.app import create_app
from server.graphql_http import GRAPHQL_RESPONSE_JSON, negotiate
from server.settings import Settings
from tests.http_support import answer_body
from tests.ledger_factory import make_customer

GRAPHQL_RESPONSE = {"Accept": GRAPHQL_RESPONSE_JSON}
NAMES = "query Names { customers(first: 10) { nodes { name } } }"


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html", "application/json"),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE_JSON};q=0", "application/json"),
        (f"{GRAPHQL_RESPONSE_JSON};q=nonsense, application/json", "application/json"),
        (f"{GRAPHQL_RESPONSE_JSON};charset=utf-8", GRAPHQL_RESPONSE_JSON),
    ],
)
def test_accept_negotiation(accept, chosen):
    assert negotiate(accept) == chosen


async def post(api, body, *, headers=None, token=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await api.client.post("/graphql", json=body, headers=headers)


async def test_graphql_response_json_status_codes(api, tenant):
    token = tenant.rep.token
    ok = await post(api, {"query": "{ me { email } }"}, headers=GRAPHQL_RESPONSE, token=token)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert answer_body(ok) == {"data": {"me": {"email": tenant.rep.email}}}

    cases = [
        ({"query": "{"}, 400, "Syntax Error"),
        ({"query": "{ nope }"}, 400, "Cannot query field 'nope' on type 'Query'."),
        (
            {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
            400,
            "Variable '$id' has invalid value: Expected value of non-null type 'ID!' not to be None.",
        ),
        (
            {"query": "query A { me { name } } query B { me { id } }"},
            400,
            "Must provide operation name if query contains multiple operations.",
        ),
        (
            {"query": "query A { me { name } }", "operationName": "C"},
            400,
            'Unknown operation named "C".',
        ),
    ]
    for body, status, message in cases:
        answer = await post(api, body, headers=GRAPHQL_RESPONSE, token=token)
        assert answer.status_code == status, (body, answer.text)
        assert "data" not in answer.json(), body
        assert answer.json()["errors"][0]["message"].startswith(message), answer.text
        # The same request with plain JSON: a well-formed request is 200, `data` null.
        legacy = await post(api, body, token=token)
        assert legacy.status_code == 200
        assert legacy.headers["content-type"] == "application/json"
        assert legacy.json()["data"] is None


async def test_sign_in_required_is_401_for_graphql_response_json(api):
    answer = await post(api, {"query": "{ me { name } }"}, headers=GRAPHQL_RESPONSE)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {
        "errors": [
            {
                "message": "Sign in first: send `Authorization: Bearer <token>`.",
                "extensions": {"code": "UNAUTHENTICATED", "reason": "MISSING"},
            }
        ]
    }
    assert (await post(api, {"query": "{ me { name } }"})).status_code == 200


async def test_a_field_error_keeps_data_and_200(api, tenant):
    # A rep may not read the audit log: an error at a path, with `data` null, executed.
    answer = await post(
        api,
        {"query": "{ auditEvents(first: 1) { totalCount } }"},
        headers=GRAPHQL_RESPONSE,
        token=tenant.rep.token,
    )
    assert answer.status_code == 200
    assert answer.json()["data"] is None
    assert answer.json()["errors"][0]["path"] == ["auditEvents"]
    assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


REQUEST_FAILURES = [
    # (content type, body, status, message)
    ("application/json", b'{"query": ', 400, "The request body is not valid JSON"),
    ("application/json", b"", 400, "The request body is empty"),
    ("application/json", b'{"variables": {}}', 400, "No query"),
    ("application/json", b'[{"query": "{ me { id } }"}]', 400, "Batched operations"),
    ("application/json", b'"{ me { id } }"', 400, "The request body must be a JSON object"),
    ("application/json", b'{"query": 5}', 400, "`query` must be a string."),
    ("application/json", b'{"query": "{ me { id } }", "operationName": 1}', 400, "`operationName`"),
    ("application/json", b'{"query": "{ me { id } }", "variables": []}', 400, "`variables`"),
    ("application/json", b'{"query": "{ me { id } }", "extensions": "x"}', 400, "`extensions`"),
    (
        "application/json",
        b'\xff\xfe{"query": "{ me { id } }"}',
        400,
        "The request body is not UTF-8.",
    ),
    (
        "application/json; charset=latin-1",
        b'{"query": "{ me { id } }"}',
        415,
        "Send the JSON body in UTF-8.",
    ),
    ("text/plain", b'{"query": "{ me { id } }"}', 415, "Unsupported content type (`text/plain`)"),
    ("application/graphql", b"{ me { id } }", 415, "Unsupported content type"),
    (None, b'{"query": "{ me { id } }"}', 415, "Unsupported content type (no Content-Type)"),
]


@pytest.mark.parametrize(("content_type", "body", "status", "message"), REQUEST_FAILURES)
async def test_request_failures_answer_json(api, tenant, content_type, body, status, message):
    headers = {"Authorization": f"Bearer {tenant.rep.token}"}
    before = api.db.statements
    await api.client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    token_lookup = api.db.statements - before
    if content_type:
        headers["Content-Type"] = content_type
    for accept, expected_type in (
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE_JSON, "application/graphql-response+json; charset=utf-8"),
    ):
        before = api.db.statements
        answer = await api.client.post(
            "/graphql", content=body, headers={**headers, "Accept": accept}
        )
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == expected_type
        (error,) = answer.json()["errors"]
        assert error["message"].startswith(message), error
        assert error["extensions"] == {"code": "BAD_REQUEST"}
        # Refused before any GraphQL ran: at most the token lookup (a body that is not
        # UTF-8 is refused before it).
        assert api.db.statements - before in {0, token_lookup}


async def test_wrong_method_and_operation_type(api, tenant):
    auth = {"Authorization": f"Bearer {tenant.admin.token}"}
    mutation = await api.client.get(
        "/graphql", params={"query": "mutation { logout { revoked } }"}, headers=auth
    )
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"
    assert mutation.json()["errors"][0]["message"] == "Mutations need POST, not GET."
    # The token was not revoked: the mutation never ran.
    assert (await api.ok("{ me { email } }", token=tenant.admin.token))["me"][
        "email"
    ] == tenant.admin.email

    put = await api.client.put("/graphql", json={"query": "{ me { id } }"})
    assert put.status_code == 405
    assert put.headers["allow"] == "GET, POST"
    assert put.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    missing = await api.client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [{"message": "Not Found", "extensions": {"code": "NOT_FOUND"}}]
    }


SUBSCRIPTION = """subscription($id: ID!) { customerTimeline(customerId: $id) { __typename } }"""


async def test_a_subscription_over_plain_http_is_a_clear_json_error(api, tenant):
    customer = await make_customer(api, tenant, "Timeline Co")
    variables = {"id": customer}
    auth = {"Authorization": f"Bearer {tenant.rep.token}"}
    over_post = await post(api, {"query": SUBSCRIPTION, "variables": variables}, headers=auth)
    over_get = await api.client.get(
        "/graphql",
        params={"query": SUBSCRIPTION, "variables": f'{{"id": "{customer}"}}'},
        headers=auth,
    )
    for answer in (over_post, over_get):
        assert answer.status_code == 400
        assert answer.json() == {
            "errors": [
                {
                    "message": "Subscriptions run over WebSocket (graphql-transport-ws) at "
                    "/graphql, not over plain HTTP.",
                    "extensions": {"code": "BAD_REQUEST"},
                }
            ]
        }


async def test_get_queries_are_cacheable_per_caller(api, tenant, other_tenant):
    await make_customer(api, tenant, "Cached One")
    auth = {"Authorization": f"Bearer {tenant.rep.token}"}
    first = await api.client.get("/graphql", params={"query": NAMES}, headers=auth)
    assert first.status_code == 200
    assert answer_body(first) == {"data": {"customers": {"nodes": [{"name": "Cached One"}]}}}
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Accept, Authorization"

    again = await api.client.get(
        "/graphql", params={"query": NAMES}, headers={**auth, "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await api.client.get(
        "/graphql", params={"query": NAMES}, headers={**auth, "If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304

    # Another company's caller holding that ETag gets its own answer, not a 304.
    other = await api.client.get(
        "/graphql",
        params={"query": NAMES},
        headers={"Authorization": f"Bearer {other_tenant.rep.token}", "If-None-Match": etag},
    )
    assert other.status_code == 200
    assert answer_body(other) == {"data": {"customers": {"nodes": []}}}

    await make_customer(api, tenant, "Cached Two")
    changed = await api.client.get(
        "/graphql", params={"query": NAMES}, headers={**auth, "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [n["name"] for n in changed.json()["data"]["customers"]["nodes"]] == [
        "Cached One",
        "Cached Two",
    ]


async def test_only_clean_get_answers_are_cacheable(api, tenant):
    auth = {"Authorization": f"Bearer {tenant.rep.token}"}
    failed = await api.client.get("/graphql", params={"query": "{ nope }"}, headers=auth)
    assert failed.status_code == 200
    assert failed.headers["cache-control"] == "no-store"
    assert "etag" not in failed.headers
    posted = await post(api, {"query": NAMES}, headers=auth)
    assert "etag" not in posted.headers
    assert "cache-control" not in posted.headers


async def test_graphiql_only_for_a_browser_page_load(api, tenant):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    no_query = await api.client.get("/graphql", headers={"Accept": "*/*"})
    assert no_query.status_code == 400
    assert no_query.json()["errors"][0]["message"].startswith("No query")
    # A browser that follows a link with a query gets the answer, not the page.
    answered = await api.client.get(
        "/graphql",
        params={"query": "{ me { email } }"},
        headers={"Accept": "text/html", "Authorization": f"Bearer {tenant.rep.token}"},
    )
    assert answer_body(answered) == {"data": {"me": {"email": tenant.rep.email}}}


@pytest.fixture
async def cors_client(database, settings):
    app = create_app(
        settings.model_copy(update={"cors_origins": ["https://app.example"]}), database
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def test_cors_for_configured_origins_only(cors_client, tenant):
    preflight = await cors_client.options(
        "/graphql",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers

    refused = await cors_client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    auth = {"Authorization": f"Bearer {tenant.rep.token}"}
    allowed = await cors_client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={**auth, "Origin": "https://app.example"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "ETag" in allowed.headers["access-control-expose-headers"]
    other = await cors_client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={**auth, "Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers


async def test_no_cors_headers_without_the_setting(api):
    answer = await api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://app.example"}
    )
    assert "access-control-allow-origin" not in answer.headers


def test_cors_origins_setting_is_comma_separated(monkeypatch):
    monkeypatch.setenv("ROLODEX_CORS_ORIGINS", "https://a.example, https://b.example/ ,")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("ROLODEX_CORS_ORIGINS", "")
    assert Settings().cors_origins == []
