"""Foundation: auth, roles, tenancy through node/nodes/lists, ids, page cap, STALE."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from db.models import AuthToken, utcnow
from resolvers.ids import encode_id
from tests.conftest import PASSWORD

ME = "{ me { id name email role active } }"


async def test_healthz_needs_no_auth(api):
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_every_field_but_login_needs_a_token(api, tenant):
    body = await api.gql(ME)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await api.gql(ME, token="not-a-real-token")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await api.gql("{ paymentTerms { name } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_login_me_logout(api, tenant):
    login = await api.mutate(
        """mutation($input: LoginInput!) { login(input: $input) {
             token staff { email role } userErrors { field message code } } }""",
        {"input": {"email": tenant.rep.email.upper(), "password": PASSWORD}},
    )
    assert login["staff"] == {"email": tenant.rep.email, "role": "REP"}
    token = login["token"]
    me = (await api.ok(ME, token=token))["me"]
    assert me["id"] == tenant.rep.global_id
    assert me["role"] == "REP"

    out = await api.mutate("mutation { logout { revoked userErrors { code } } }", token=token)
    assert out["revoked"] is True
    body = await api.gql(ME, token=token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Other tokens of the same member still work.
    assert (await api.ok(ME, token=tenant.rep.token))["me"]["id"] == tenant.rep.global_id


async def test_wrong_password_is_a_user_error(api, tenant):
    data = await api.ok(
        """mutation($email: String!) { login(input: {email: $email, password: "nope"}) {
             token userErrors { field code message } } }""",
        {"email": tenant.rep.email},
    )
    assert data["login"]["token"] is None
    assert data["login"]["userErrors"] == [
        {"field": ["input"], "code": "INVALID_CREDENTIALS", "message": "Wrong email or password."}
    ]


async def test_expired_token_is_refused(api, tenant, database):
    async with database.transaction(None) as session:
        await session.execute(
            update(AuthToken)
            .where(AuthToken.staff_id == tenant.manager.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    body = await api.gql(ME, token=tenant.manager.token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


STAFF_CREATE = """mutation($input: StaffCreateInput!) { staffCreate(input: $input) {
  staff { id name email role active } userErrors { field code message } } }"""
STAFF_UPDATE = """mutation($id: ID!, $input: StaffUpdateInput!) { staffUpdate(id: $id, input: $input) {
  staff { id active role version } userErrors { field code message } } }"""


async def test_only_admin_manages_staff(api, tenant):
    new = {"name": "New Rep", "email": f"new-{tenant.slug}@example.com", "role": "REP"}
    for member in (tenant.manager, tenant.rep):
        body = await api.gql(STAFF_CREATE, {"input": new}, token=member.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"] is None
    created = await api.mutate(STAFF_CREATE, {"input": new}, token=tenant.admin.token)
    assert created["staff"]["role"] == "REP"
    assert created["staff"]["active"] is True
    staff = await api.ok("{ staffMembers { totalCount } }", token=tenant.admin.token)
    assert staff["staffMembers"]["totalCount"] == 5


async def test_staff_create_rejects_bad_input_and_writes_nothing(api, tenant):
    body = await api.ok(
        STAFF_CREATE,
        {"input": {"name": " ", "email": "not-an-email", "role": "REP", "password": "short"}},
        token=tenant.admin.token,
    )
    errors = body["staffCreate"]["userErrors"]
    assert [e["field"] for e in errors] == [
        ["input", "name"],
        ["input", "email"],
        ["input", "password"],
    ]
    assert [e["code"] for e in errors] == ["REQUIRED", "INVALID", "INVALID"]
    taken = await api.ok(
        STAFF_CREATE,
        {"input": {"name": "Dup", "email": tenant.rep.email, "role": "REP"}},
        token=tenant.admin.token,
    )
    assert taken["staffCreate"]["userErrors"][0]["code"] == "TAKEN"
    count = await api.ok("{ staffMembers { totalCount } }", token=tenant.admin.token)
    assert count["staffMembers"]["totalCount"] == 4


async def test_deactivated_member_tokens_stop_working_and_list_filters(api, tenant):
    result = await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep2.global_id, "input": {"active": False}},
        token=tenant.admin.token,
    )
    assert result["staff"]["active"] is False
    assert result["staff"]["version"] == 2
    body = await api.gql(ME, token=tenant.rep2.token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    active = await api.ok(
        "{ staffMembers(active: true) { nodes { id } } }", token=tenant.admin.token
    )
    ids = [n["id"] for n in active["staffMembers"]["nodes"]]
    assert tenant.rep2.global_id not in ids
    assert len(ids) == 3


async def test_stale_version_is_refused_and_writes_nothing(api, tenant):
    first = await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep.global_id, "input": {"name": "Renamed", "expectedVersion": 1}},
        token=tenant.admin.token,
    )
    assert first["staff"]["version"] == 2
    stale = await api.ok(
        STAFF_UPDATE,
        {"id": tenant.rep.global_id, "input": {"name": "Again", "expectedVersion": 1}},
        token=tenant.admin.token,
    )
    assert stale["staffUpdate"]["staff"] is None
    assert stale["staffUpdate"]["userErrors"][0]["code"] == "STALE"
    assert stale["staffUpdate"]["userErrors"][0]["field"] == ["input", "expectedVersion"]
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Staff { name version } } }",
        {"id": tenant.rep.global_id},
        token=tenant.admin.token,
    )
    assert node["node"] == {"name": "Renamed", "version": 2}


async def test_tenant_isolation_through_node_nodes_and_lists(api, tenant, other_tenant):
    theirs = other_tenant.rep.global_id
    mine = tenant.rep.global_id
    data = await api.ok(
        "query($a: ID!, $ids: [ID!]!) { node(id: $a) { id } nodes(ids: $ids) { id } }",
        {"a": theirs, "ids": [mine, theirs]},
        token=tenant.admin.token,
    )
    assert data["node"] is None
    assert data["nodes"] == [{"id": mine}, None]
    staff = await api.ok("{ staffMembers(first: 250) { nodes { id } } }", token=tenant.admin.token)
    ids = {n["id"] for n in staff["staffMembers"]["nodes"]}
    assert ids == {tenant.admin.global_id, tenant.manager.global_id, mine, tenant.rep2.global_id}
    # Writing through another company's id finds nothing.
    body = await api.ok(
        STAFF_UPDATE, {"id": theirs, "input": {"name": "Hijack"}}, token=tenant.admin.token
    )
    assert body["staffUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_bad_ids(api, tenant):
    body = await api.gql('{ node(id: "%%%") { id } }', token=tenant.admin.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    wrong_type = encode_id("PaymentTerms", 999999)
    data = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": wrong_type}, token=tenant.admin.token
    )
    assert data["node"] is None
    update_body = await api.ok(
        STAFF_UPDATE,
        {"id": encode_id("Customer", 1), "input": {"name": "x"}},
        token=tenant.admin.token,
    )
    assert update_body["staffUpdate"]["userErrors"] == [
        {
            "field": ["id"],
            "code": "INVALID_ID",
            "message": f"Not a valid Staff id: {encode_id('Customer', 1)!r}.",
        }
    ]


async def test_page_cap_and_cursor_pagination(api, tenant):
    body = await api.gql("{ staffMembers(first: 251) { totalCount } }", token=tenant.admin.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 250" in body["errors"][0]["message"]

    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      staffMembers(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    names, after = [], None
    while True:
        page = (await api.ok(query, {"first": 1, "after": after}, token=tenant.admin.token))[
            "staffMembers"
        ]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == sorted(names)
    assert len(names) == 4
    last_two = (await api.ok(query, {"last": 2}, token=tenant.admin.token))["staffMembers"]
    assert [e["node"]["name"] for e in last_two["edges"]] == names[2:]
    assert last_two["pageInfo"]["hasPreviousPage"] is True


async def test_payment_terms_are_seeded_per_company(api, tenant):
    data = await api.ok("{ paymentTerms { name dueInDays } }", token=tenant.rep.token)
    assert [(t["name"], t["dueInDays"]) for t in data["paymentTerms"]] == [
        ("Due on receipt", 0),
        ("Net 7", 7),
        ("Net 15", 15),
        ("Net 30", 30),
        ("Net 45", 45),
        ("Net 60", 60),
        ("Net 90", 90),
    ]


async def test_mutation_over_get_is_405(api, tenant):
    response = await api.client.get(
        "/graphql",
        params={"query": "mutation { logout { revoked } }"},
        headers={"Authorization": f"Bearer {tenant.rep.token}"},
    )
    assert response.status_code == 405


async def test_depth_limit(api, tenant):
    hop = "assignedCustomers { nodes { salesRep { "
    deep = "{ me { " + hop * 5 + "id" + " } } }" * 5 + " } }"
    body = await api.gql(deep, token=tenant.rep.token)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(api, tenant):
    many = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    body = await api.gql(many, token=tenant.rep.token)
    assert body["errors"][0]["message"] == "31 aliases found. Allowed: 30"


async def test_validation_is_cached_across_requests(api, tenant):
    from schema.validation import cached_validate as cache

    query = "{ me { id name } }"
    await api.ok(query, token=tenant.rep.token)
    hits = cache.cache_info().hits
    await api.ok(query, token=tenant.rep.token)
    assert cache.cache_info().hits == hits + 1


async def test_unexpected_errors_are_masked_with_a_code(api, tenant, monkeypatch):
    from resolvers import company

    async def broken(_context):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(company, "payment_terms", broken)
    body = await api.gql("{ paymentTerms { name } }", token=tenant.rep.token)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in str(body)


async def test_out_of_range_ids_are_malformed_not_crashes(api, tenant):
    huge = encode_id("Staff", 2**31)
    body = await api.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": huge}, token=tenant.admin.token
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    update_body = await api.ok(
        STAFF_UPDATE, {"id": huge, "input": {"name": "x"}}, token=tenant.admin.token
    )
    assert update_body["staffUpdate"]["userErrors"][0]["code"] == "INVALID_ID"
