"""The interaction log: create, edit, delete, the customer's timeline and the root list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from db.models import Company, Interaction
from resolvers.ids import encode_id
from tests.relationship_support import audit_events, errors, make_customers, pk

CREATE = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id kind body createdAt edited version author { id name } customer { id name } }
  userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: InteractionUpdateInput!) {
  interactionUpdate(id: $id, input: $input) {
    interaction { id kind body createdAt updatedAt edited version }
    userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { interactionDelete(id: $id) {
  deletedInteractionId userErrors { field message code } } }"""
TIMELINE = """query($id: ID!, $kinds: [InteractionKind!]) { customer(id: $id) {
  lastInteractionAt daysSinceLastInteraction
  interactions(kinds: $kinds) { totalCount nodes { kind body author { name } } }
  notes { totalCount nodes { body } } } }"""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def log(api, member, customer: str, kind: str, body: str, at: datetime | None = None):
    variables = {"input": {"customerId": customer, "kind": kind, "body": body}}
    if at is not None:
        variables["input"]["occurredAt"] = iso(at)
    return (await api.mutate(CREATE, variables, token=member.token))["interaction"]


async def test_log_interactions_and_read_the_timeline(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Café Olé")
    now = datetime.now(UTC).replace(microsecond=0)
    visit = await log(
        api, tenant.rep, customer, "VISIT", "  Walked the floor.  ", now - timedelta(days=3)
    )
    note = await log(
        api, tenant.rep2, customer, "NOTE", "Prefers deliveries before 9.", now - timedelta(days=10)
    )
    call = await log(api, tenant.manager, customer, "CALL", "Asked about the spring catalog.")

    assert visit["body"] == "Walked the floor."
    assert visit["createdAt"] == iso(now - timedelta(days=3))
    assert visit["author"]["name"].startswith("Rep ")
    assert visit["customer"] == {"id": customer, "name": "Café Olé"}
    assert (visit["edited"], visit["version"]) == (False, 1)
    assert note["author"]["name"].startswith("Rep2 ")
    # Without occurredAt it happened now.
    assert abs(datetime.fromisoformat(call["createdAt"]) - datetime.now(UTC)) < timedelta(
        seconds=30
    )

    data = (await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token))["customer"]
    assert data["lastInteractionAt"] == call["createdAt"]
    assert data["daysSinceLastInteraction"] == 0
    assert data["interactions"]["totalCount"] == 3
    assert [n["body"] for n in data["interactions"]["nodes"]] == [
        "Asked about the spring catalog.",
        "Walked the floor.",
        "Prefers deliveries before 9.",
    ]
    assert data["notes"] == {"totalCount": 1, "nodes": [{"body": "Prefers deliveries before 9."}]}

    only = await api.ok(
        TIMELINE, {"id": customer, "kinds": ["VISIT", "NOTE"]}, token=tenant.rep.token
    )
    assert [n["kind"] for n in only["customer"]["interactions"]["nodes"]] == ["VISIT", "NOTE"]
    assert only["customer"]["interactions"]["totalCount"] == 2


async def test_last_interaction_at_only_moves_forward_and_is_recomputed(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Sunrise Bakery")
    now = datetime.now(UTC).replace(microsecond=0)
    recent = await log(api, tenant.rep, customer, "CALL", "Recent", now - timedelta(days=2))
    await log(api, tenant.rep, customer, "EMAIL", "Older, logged later", now - timedelta(days=9))

    async def last() -> tuple[str | None, int | None]:
        data = await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token)
        return data["customer"]["lastInteractionAt"], data["customer"]["daysSinceLastInteraction"]

    assert await last() == (iso(now - timedelta(days=2)), 2)
    # Moving the latest entry back in time recomputes the latest of all.
    await api.mutate(
        UPDATE,
        {"id": recent["id"], "input": {"occurredAt": iso(now - timedelta(days=20))}},
        token=tenant.rep.token,
    )
    assert await last() == (iso(now - timedelta(days=9)), 9)
    others = await api.ok(
        "query($id: ID!) { customer(id: $id) { interactions { nodes { id } } } }",
        {"id": customer},
        token=tenant.rep.token,
    )
    for node in others["customer"]["interactions"]["nodes"]:
        await api.mutate(DELETE, {"id": node["id"]}, token=tenant.rep.token)
    assert await last() == (None, None)


async def test_days_since_last_interaction_counts_days_in_the_company_time_zone(
    api, tenant, database
):
    async with database.transaction(None) as session:
        await session.execute(
            update(Company)
            .where(Company.id == tenant.company_id)
            .values(timezone="Pacific/Auckland")
        )
    (customer,) = await make_customers(database, tenant, "Kiwi Imports")
    zone_now = datetime.now(UTC)
    # 25 hours ago is yesterday or the day before in Auckland, depending on the hour there.
    at = zone_now - timedelta(hours=25)
    await log(api, tenant.rep, customer, "CALL", "Rang them", at)
    data = await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token)
    from zoneinfo import ZoneInfo

    auckland = ZoneInfo("Pacific/Auckland")
    expected = (zone_now.astimezone(auckland).date() - at.astimezone(auckland).date()).days
    assert data["customer"]["daysSinceLastInteraction"] == expected


async def test_bad_input_writes_nothing(api, tenant, other_tenant, database):
    (customer,) = await make_customers(database, tenant, "Lakeview Diner")
    (theirs,) = await make_customers(database, other_tenant, "Not Yours")
    future = datetime.now(UTC) + timedelta(hours=1)
    cases = [
        ({"body": "   "}, [(["input", "body"], "REQUIRED")]),
        ({"body": "x" * 10_001}, [(["input", "body"], "TOO_LONG")]),
        ({"occurredAt": iso(future)}, [(["input", "occurredAt"], "OUT_OF_RANGE")]),
        (
            {"customerId": "nope", "body": ""},
            [
                (["input", "customerId"], "INVALID_ID"),
                (["input", "body"], "REQUIRED"),
            ],
        ),
        ({"customerId": theirs}, [(["input", "customerId"], "NOT_FOUND")]),
        (
            {"customerId": encode_id("Customer", 987654321)},
            [(["input", "customerId"], "NOT_FOUND")],
        ),
    ]
    for change, expected in cases:
        variables = {"input": {"customerId": customer, "kind": "CALL", "body": "Hi", **change}}
        data = await api.ok(CREATE, variables, token=tenant.rep.token)
        assert data["interactionCreate"]["interaction"] is None
        assert errors(data["interactionCreate"]) == expected, change
    too_long = await api.ok(
        CREATE,
        {"input": {"customerId": customer, "kind": "CALL", "body": "x" * 10_001}},
        token=tenant.rep.token,
    )
    assert too_long["interactionCreate"]["userErrors"][0]["message"] == (
        "Body may be at most 10000 characters."
    )
    # A few minutes ahead (clock skew) and exactly 10,000 characters are fine.
    ok = await log(
        api, tenant.rep, customer, "CALL", "y" * 10_000, datetime.now(UTC) + timedelta(minutes=2)
    )
    assert len(ok["body"]) == 10_000

    data = await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token)
    assert data["customer"]["interactions"]["totalCount"] == 1
    assert len(await audit_events(database, tenant, "interaction.create")) == 1

    # Updates: bad values and a stale version change nothing.
    entry = ok["id"]
    for change, expected in [
        ({"body": ""}, [(["input", "body"], "REQUIRED")]),
        ({"kind": None}, [(["input", "kind"], "REQUIRED")]),
        ({"occurredAt": iso(future)}, [(["input", "occurredAt"], "OUT_OF_RANGE")]),
        ({"body": "new", "expectedVersion": 7}, [(["input", "expectedVersion"], "STALE")]),
    ]:
        data = await api.ok(UPDATE, {"id": entry, "input": change}, token=tenant.rep.token)
        assert errors(data["interactionUpdate"]) == expected, change
    for bad_id, code in [
        ("zzz", "INVALID_ID"),
        (customer, "INVALID_ID"),
        (encode_id("Interaction", 987654321), "NOT_FOUND"),
    ]:
        data = await api.ok(UPDATE, {"id": bad_id, "input": {"body": "x"}}, token=tenant.rep.token)
        assert errors(data["interactionUpdate"]) == [(["id"], code)]
        data = await api.ok(DELETE, {"id": bad_id}, token=tenant.rep.token)
        assert errors(data["interactionDelete"]) == [(["id"], code)]
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Interaction { body edited version } } }",
        {"id": entry},
        token=tenant.rep.token,
    )
    assert node["node"] == {"body": "y" * 10_000, "edited": False, "version": 1}
    assert await audit_events(database, tenant, "interaction.update") == []


async def test_edit_marks_edited_and_is_audited(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Pinecrest Pharmacy")
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    entry = await log(api, tenant.rep, customer, "CALL", "Left a message", at)
    edited = await api.mutate(
        UPDATE,
        {
            "id": entry["id"],
            "input": {"kind": "VOICEMAIL", "body": "Left a voicemail", "expectedVersion": 1},
        },
        token=tenant.rep.token,
    )
    interaction = edited["interaction"]
    assert (interaction["kind"], interaction["body"]) == ("VOICEMAIL", "Left a voicemail")
    assert (interaction["edited"], interaction["version"]) == (True, 2)
    assert interaction["createdAt"] == iso(at)
    assert datetime.fromisoformat(interaction["updatedAt"]) > at + timedelta(hours=4)
    # Unchanged values are no edit.
    same = await api.mutate(
        UPDATE, {"id": entry["id"], "input": {"body": "Left a voicemail"}}, token=tenant.rep.token
    )
    assert same["interaction"]["version"] == 2
    (event,) = await audit_events(database, tenant, "interaction.update")
    assert event.actor_id == tenant.rep.id
    assert event.customer_id == pk(customer)
    assert event.changes == {
        "kind": ["CALL", "VOICEMAIL"],
        "body": ["Left a message", "Left a voicemail"],
        "edited": [False, True],
    }


async def test_reps_change_only_their_own_entries_managers_any(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Riverside Florist")
    mine = await log(api, tenant.rep, customer, "VISIT", "Dropped samples")
    theirs = await log(api, tenant.rep2, customer, "CALL", "Confirmed order")
    for mutation, variables, name in [
        (UPDATE, {"id": theirs["id"], "input": {"body": "Hijacked"}}, "interactionUpdate"),
        (DELETE, {"id": theirs["id"]}, "interactionDelete"),
    ]:
        data = await api.ok(mutation, variables, token=tenant.rep.token)
        assert data[name]["userErrors"] == [
            {
                "field": ["id"],
                "code": "FORBIDDEN",
                "message": "Only its author, a manager or an admin may change this interaction.",
            }
        ]
    await api.mutate(
        UPDATE,
        {"id": mine["id"], "input": {"body": "Dropped samples twice"}},
        token=tenant.rep.token,
    )
    await api.mutate(
        UPDATE,
        {"id": theirs["id"], "input": {"body": "Confirmed order #1001"}},
        token=tenant.manager.token,
    )
    await api.mutate(
        UPDATE, {"id": mine["id"], "input": {"kind": "OTHER"}}, token=tenant.admin.token
    )
    deleted = await api.mutate(DELETE, {"id": theirs["id"]}, token=tenant.admin.token)
    assert deleted["deletedInteractionId"] == theirs["id"]
    data = await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token)
    assert data["customer"]["interactions"]["nodes"] == [
        {
            "kind": "OTHER",
            "body": "Dropped samples twice",
            "author": {"name": mine["author"]["name"]},
        }
    ]


async def test_deleted_entry_text_stays_in_the_audit_trail(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Golden Gate Market")
    at = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    entry = await log(api, tenant.rep, customer, "QUOTE", "Quoted 40 cases at $12.50", at)
    await api.mutate(DELETE, {"id": entry["id"]}, token=tenant.rep.token)
    (event,) = await audit_events(database, tenant, "interaction.delete")
    assert (event.entity_type, event.entity_id) == ("Interaction", pk(entry["id"]))
    assert (event.actor_id, event.customer_id) == (tenant.rep.id, pk(customer))
    assert event.changes == {
        "customer_id": [pk(customer), None],
        "author_id": [tenant.rep.id, None],
        "kind": ["QUOTE", None],
        "body": ["Quoted 40 cases at $12.50", None],
        "created_at": ["2026-03-04T15:30:00+00:00", None],
        "edited": [False, None],
    }
    gone = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": entry["id"]}, token=tenant.rep.token
    )
    assert gone["node"] is None
    again = await api.ok(DELETE, {"id": entry["id"]}, token=tenant.rep.token)
    assert errors(again["interactionDelete"]) == [(["id"], "NOT_FOUND")]


ROOT = """query($filter: InteractionFilter, $first: Int, $after: String) {
  interactions(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { body } } }"""


async def test_root_list_filters_newest_first(api, tenant, other_tenant, database):
    a, b = await make_customers(database, tenant, "Alpha", "Beta")
    (foreign,) = await make_customers(database, other_tenant, "Foreign")
    base = datetime(2026, 5, 1, 12, tzinfo=UTC)
    await log(api, tenant.rep, a, "CALL", "Price question about OLIVE oil", base)
    await log(api, tenant.rep2, a, "VISIT", "Visited the store", base + timedelta(days=1))
    await log(api, tenant.rep, b, "EMAIL", "Sent 100% cotton_towel specs", base + timedelta(days=2))
    await log(api, tenant.manager, b, "CALL", "Olive order follow-up", base + timedelta(days=3))
    await log(
        api, other_tenant.rep, foreign, "CALL", "olive oil elsewhere", base + timedelta(days=4)
    )

    async def bodies(filter: dict | None = None, token: str = tenant.rep.token) -> list[str]:
        data = await api.ok(ROOT, {"filter": filter}, token=token)
        nodes = data["interactions"]["nodes"]
        assert data["interactions"]["totalCount"] == len(nodes)
        return [n["body"] for n in nodes]

    assert await bodies() == [
        "Olive order follow-up",
        "Sent 100% cotton_towel specs",
        "Visited the store",
        "Price question about OLIVE oil",
    ]
    assert await bodies({"staffIds": [tenant.rep.global_id]}) == [
        "Sent 100% cotton_towel specs",
        "Price question about OLIVE oil",
    ]
    assert await bodies({"customerIds": [b], "kinds": ["CALL"]}) == ["Olive order follow-up"]
    assert await bodies({"search": "olive"}) == [
        "Olive order follow-up",
        "Price question about OLIVE oil",
    ]
    # LIKE wildcards in the search are literal.
    assert await bodies({"search": "100%"}) == ["Sent 100% cotton_towel specs"]
    assert await bodies({"search": "t_n"}) == []
    assert await bodies(
        {"from": iso(base + timedelta(days=1)), "to": iso(base + timedelta(days=3))}
    ) == ["Sent 100% cotton_towel specs", "Visited the store"]
    # Another company's ids match nothing; theirs see only their own.
    assert await bodies({"customerIds": [foreign]}) == []
    assert await bodies({"staffIds": [other_tenant.rep.global_id]}) == []
    assert await bodies(token=other_tenant.admin.token) == ["olive oil elsewhere"]

    page = await api.ok(ROOT, {"first": 3}, token=tenant.rep.token)
    assert page["interactions"]["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(
        ROOT,
        {"first": 3, "after": page["interactions"]["pageInfo"]["endCursor"]},
        token=tenant.rep.token,
    )
    assert [n["body"] for n in rest["interactions"]["nodes"]] == ["Price question about OLIVE oil"]

    body = await api.gql(ROOT, {"filter": {"staffIds": ["bad"]}}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    body = await api.gql(
        ROOT, {"filter": {"from": iso(base), "to": iso(base)}}, token=tenant.rep.token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_other_companies_cannot_see_or_change_entries(api, tenant, other_tenant, database):
    (customer,) = await make_customers(database, tenant, "Private Co")
    entry = await log(api, tenant.rep, customer, "NOTE", "Secret terms")
    outsider = other_tenant.admin.token
    data = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": entry["id"]}, token=outsider
    )
    assert data["node"] is None
    data = await api.ok(TIMELINE, {"id": customer}, token=outsider)
    assert data["customer"] is None
    data = await api.ok(UPDATE, {"id": entry["id"], "input": {"body": "x"}}, token=outsider)
    assert errors(data["interactionUpdate"]) == [(["id"], "NOT_FOUND")]
    data = await api.ok(DELETE, {"id": entry["id"]}, token=outsider)
    assert errors(data["interactionDelete"]) == [(["id"], "NOT_FOUND")]
    data = await api.ok(TIMELINE, {"id": customer}, token=tenant.rep.token)
    assert data["customer"]["notes"]["nodes"] == [{"body": "Secret terms"}]


async def test_customer_timeline_pages_past_the_first(api, tenant, database):
    (customer,) = await make_customers(database, tenant, "Paged")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(5):
        await log(api, tenant.rep, customer, "CALL", f"call {n}", base + timedelta(hours=n))
    query = """query($id: ID!, $after: String, $last: Int, $before: String, $first: Int) {
      customer(id: $id) { interactions(first: $first, after: $after, last: $last, before: $before) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } nodes { body } } } }"""
    first = (await api.ok(query, {"id": customer, "first": 2}, token=tenant.rep.token))["customer"][
        "interactions"
    ]
    assert [n["body"] for n in first["nodes"]] == ["call 4", "call 3"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == 5
    second = (
        await api.ok(
            query,
            {"id": customer, "first": 2, "after": first["pageInfo"]["endCursor"]},
            token=tenant.rep.token,
        )
    )["customer"]["interactions"]
    assert [n["body"] for n in second["nodes"]] == ["call 2", "call 1"]
    back = (
        await api.ok(
            query,
            {"id": customer, "last": 2, "before": second["pageInfo"]["startCursor"]},
            token=tenant.rep.token,
        )
    )["customer"]["interactions"]
    assert [n["body"] for n in back["nodes"]] == ["call 4", "call 3"]
    body = await api.gql(query, {"id": customer, "first": 251}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


LIST_PAGE = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer {
  name lastInteractionAt daysSinceLastInteraction
  interactions(first: 3) { totalCount pageInfo { hasNextPage endCursor }
    nodes { kind body createdAt author { name } customer { name } } }
  notes(first: 1) { nodes { body } } } } }"""


async def _customers_with_interactions(database, tenant, count: int) -> list[str]:
    """`count` customers, each with 4 interactions by two authors, written directly."""
    ids = await make_customers(database, tenant, *(f"Customer {n:03d}" for n in range(count)))
    base = datetime(2026, 2, 1, tzinfo=UTC)
    async with database.transaction(None) as session:
        for n, customer in enumerate(ids):
            for i, kind in enumerate(["CALL", "NOTE", "VISIT", "EMAIL"]):
                session.add(
                    Interaction(
                        company_id=tenant.company_id,
                        customer_id=pk(customer),
                        author_id=tenant.rep.id if i % 2 else tenant.rep2.id,
                        kind=kind,
                        body=f"{kind.lower()} {n}",
                        created_at=base + timedelta(days=i, minutes=n),
                        updated_at=base,
                    )
                )
    return ids


async def test_a_page_of_customers_with_their_interactions_runs_constant_statements(
    api, tenant, database
):
    small = await _customers_with_interactions(database, tenant, 10)
    data = await api.ok(LIST_PAGE, {"ids": small}, token=tenant.rep.token)
    statements_for_10 = api.last_statements
    first = data["nodes"][0]
    assert first["interactions"]["totalCount"] == 4
    assert first["interactions"]["pageInfo"]["hasNextPage"] is True
    assert [(n["kind"], n["body"]) for n in first["interactions"]["nodes"]] == [
        ("EMAIL", "email 0"),
        ("VISIT", "visit 0"),
        ("NOTE", "note 0"),
    ]
    assert first["interactions"]["nodes"][0]["customer"]["name"] == "Customer 000"
    assert first["notes"]["nodes"] == [{"body": "note 0"}]

    large = await _customers_with_interactions(database, tenant, 50)
    data = await api.ok(LIST_PAGE, {"ids": large}, token=tenant.rep.token)
    assert api.last_statements == statements_for_10
    assert len(data["nodes"]) == 50
    assert [n["interactions"]["nodes"][2]["body"] for n in data["nodes"][-2:]] == [
        "note 48",
        "note 49",
    ]
    # The batched first page's cursor continues where it stopped.
    cursor = data["nodes"][7]["interactions"]["pageInfo"]["endCursor"]
    rest = await api.ok(
        """query($id: ID!, $after: String) { customer(id: $id) {
             interactions(first: 3, after: $after) { nodes { body } } } }""",
        {"id": large[7], "after": cursor},
        token=tenant.rep.token,
    )
    assert rest["customer"]["interactions"]["nodes"] == [{"body": "call 7"}]
