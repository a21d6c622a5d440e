"""The list as a rep's plan for the day: unassigned customers, those nobody talked to in
60 days, those with overdue follow-ups, tags (set, bulk-edited, counted), and the new
columns sorting the whole company with a constant statement count (issue 18)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from db.models import Customer, CustomerTag, Interaction, Task, utcnow
from resolvers.ids import decode_id, encode_id
from resolvers.text import name_key
from tests.test_bulk import BULK, REVERT

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id tags version } userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, input: $input) {
  customer { tags version } userErrors { field message code } } }"""
LIST = """query($f: CustomerFilter, $s: [CustomerSort!]) { customers(filter: $f, sort: $s, first: 250) {
  totalCount nodes { name tags lastInteractionAt } } }"""
TAG_COUNTS = "{ customerTags { tag count } }"


async def create(api, member, name: str, **extra):
    payload = await api.mutate(CREATE, {"input": {"name": name, **extra}}, token=member.token)
    return payload["customer"]


async def names(api, member, filter=None, sort=None) -> list[str]:
    data = await api.ok(LIST, {"f": filter, "s": sort}, token=member.token)
    return [n["name"] for n in data["customers"]["nodes"]]


async def test_tags_are_trimmed_unique_set_replaced_and_counted(api, tenant, other_tenant):
    rep = tenant.rep
    harbor = await create(api, rep, "Harbor", tags=[" VIP ", "roofing", "vip", "Exterior"])
    assert harbor["tags"] == ["Exterior", "roofing", "VIP"]
    await create(api, rep, "Blue Ridge", tags=["Roofing"])
    await create(api, rep, "Cafe", tags=[])
    await create(api, other_tenant.rep, "Theirs", tags=["VIP", "Elsewhere"])

    counts = await api.ok(TAG_COUNTS, token=rep.token)
    assert counts["customerTags"] == [
        {"tag": "Roofing", "count": 2},
        {"tag": "Exterior", "count": 1},
        {"tag": "VIP", "count": 1},
    ]
    assert await names(api, rep, {"tags": ["ROOFING"]}) == ["Blue Ridge", "Harbor"]
    assert await names(api, rep, {"tags": ["vip", "nothing"]}) == ["Harbor"]
    assert await names(api, rep, {"tags": []}) == []

    replaced = await api.mutate(
        UPDATE,
        {"id": harbor["id"], "input": {"tags": ["vip"], "expectedVersion": 1}},
        token=rep.token,
    )
    assert replaced["customer"] == {"tags": ["vip"], "version": 2}
    unchanged = await api.mutate(
        UPDATE, {"id": harbor["id"], "input": {"name": "Harbor"}}, token=rep.token
    )
    assert unchanged["customer"] == {"tags": ["vip"], "version": 2}
    cleared = await api.mutate(UPDATE, {"id": harbor["id"], "input": {"tags": []}}, token=rep.token)
    assert cleared["customer"]["tags"] == []
    history = await api.ok(
        """query($id: ID!) { customer(id: $id) { auditEvents { nodes { action changes } } } }""",
        {"id": harbor["id"]},
        token=tenant.admin.token,
    )
    tag_changes = [
        e["changes"]["tags"]
        for e in history["customer"]["auditEvents"]["nodes"]
        if "tags" in e["changes"]
    ]
    assert tag_changes == [
        [["vip"], []],
        [["Exterior", "roofing", "VIP"], ["vip"]],
        [[], ["Exterior", "roofing", "VIP"]],
    ]


async def test_bad_tags_are_refused_cheaply_and_write_nothing(api, tenant):
    cases = [
        (["ok", "  "], [(["input", "tags", "1"], "REQUIRED")]),
        (["x" * 41], [(["input", "tags", "0"], "TOO_LONG")]),
        ([f"t{i}" for i in range(21)], [(["input", "tags"], "OUT_OF_RANGE")]),
    ]
    for tags, expected in cases:
        data = await api.ok(
            CREATE, {"input": {"name": "Nope", "tags": tags}}, token=tenant.rep.token
        )
        errors = data["customerCreate"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == expected
    # An abusive list is refused on its length, before any tag is looked at.
    started = time.perf_counter()
    data = await api.ok(
        CREATE, {"input": {"name": "Nope", "tags": ["x" * 40] * 20_000}}, token=tenant.rep.token
    )
    assert [e["code"] for e in data["customerCreate"]["userErrors"]] == ["OUT_OF_RANGE"]
    assert time.perf_counter() - started < 2
    assert await names(api, tenant.rep) == []


async def test_segments_filter_and_sort_the_whole_company(api, tenant, database):
    """Unassigned, not contacted since a day (company zone), overdue follow-ups."""
    await api.mutate(
        """mutation { companyUpdate(input: {timezone: "America/New_York"}) { userErrors { code } } }""",
        token=tenant.admin.token,
    )
    zone = ZoneInfo("America/New_York")
    rep = tenant.rep
    customers = {
        "Assigned recent": await create(
            api, tenant.admin, "Assigned recent", salesRepId=rep.global_id
        ),
        "Unassigned old": await create(api, tenant.admin, "Unassigned old"),
        "Never contacted": await create(api, tenant.admin, "Never contacted"),
        "Edge of day": await create(api, tenant.admin, "Edge of day", salesRepId=rep.global_id),
    }
    pks = {name: decode_id(c["id"])[1] for name, c in customers.items()}
    today = datetime.now(zone).date()
    cutoff_day = today - timedelta(days=60)
    cutoff = datetime.combine(cutoff_day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    contacted = {
        "Assigned recent": utcnow() - timedelta(days=2),
        "Unassigned old": utcnow() - timedelta(days=90),
        # One second before the day began in New York: not contacted since that day.
        "Edge of day": cutoff - timedelta(seconds=1),
    }
    async with database.transaction(None) as session:
        for name, at in contacted.items():
            session.add(
                Interaction(
                    company_id=tenant.company_id,
                    customer_id=pks[name],
                    author_id=rep.id,
                    kind="CALL",
                    body="Called",
                    created_at=at,
                    updated_at=at,
                )
            )
            await session.execute(
                update(Customer).where(Customer.id == pks[name]).values(last_interaction_at=at)
            )
        session.add_all(
            [
                Task(
                    company_id=tenant.company_id,
                    customer_id=pks["Assigned recent"],
                    assignee_id=rep.id,
                    title="Late",
                    due_on=today - timedelta(days=1),
                ),
                Task(
                    company_id=tenant.company_id,
                    customer_id=pks["Unassigned old"],
                    assignee_id=rep.id,
                    title="Today",
                    due_on=today,
                ),
                Task(
                    company_id=tenant.company_id,
                    customer_id=pks["Never contacted"],
                    assignee_id=rep.id,
                    title="Done late",
                    due_on=today - timedelta(days=5),
                    status="DONE",
                ),
            ]
        )
    assert await names(api, rep, {"hasSalesRep": False}) == ["Never contacted", "Unassigned old"]
    assert await names(api, rep, {"hasSalesRep": True}) == ["Assigned recent", "Edge of day"]
    assert await names(api, rep, {"lastInteractionBefore": cutoff_day.isoformat()}) == [
        "Edge of day",
        "Never contacted",
        "Unassigned old",
    ]
    day_before = (cutoff_day - timedelta(days=1)).isoformat()
    assert await names(api, rep, {"lastInteractionBefore": day_before}) == [
        "Never contacted",
        "Unassigned old",
    ]
    # The same segment, relative: 60 days before today in New York.
    assert await names(api, rep, {"notContactedForDays": 60}) == [
        "Edge of day",
        "Never contacted",
        "Unassigned old",
    ]
    assert await names(api, rep, {"notContactedForDays": 61}) == [
        "Never contacted",
        "Unassigned old",
    ]
    far = await api.gql(LIST, {"f": {"notContactedForDays": -1}}, token=rep.token)
    assert far["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"
    assert await names(api, rep, {"hasOverdueTasks": True}) == ["Assigned recent"]
    assert await names(api, rep, {"hasOverdueTasks": False}) == [
        "Edge of day",
        "Never contacted",
        "Unassigned old",
    ]
    assert await names(
        api, rep, {"hasSalesRep": False, "lastInteractionBefore": cutoff_day.isoformat()}
    ) == ["Never contacted", "Unassigned old"]
    # Never contacted first when ascending; last when descending; ties by id.
    ascending = [{"field": "LAST_INTERACTION_AT", "direction": "ASC"}]
    assert await names(api, rep, sort=ascending) == [
        "Never contacted",
        "Unassigned old",
        "Edge of day",
        "Assigned recent",
    ]
    descending = [{"field": "LAST_INTERACTION_AT", "direction": "DESC"}]
    assert await names(api, rep, sort=descending) == [
        "Assigned recent",
        "Edge of day",
        "Unassigned old",
        "Never contacted",
    ]
    data = await api.ok(LIST, {"s": ascending}, token=rep.token)
    assert data["customers"]["nodes"][0]["lastInteractionAt"] is None
    assert data["customers"]["nodes"][1]["lastInteractionAt"] == contacted[
        "Unassigned old"
    ].isoformat().replace("Z", "+00:00")


async def test_bulk_tags_dry_run_audit_and_revert(api, tenant, database):
    admin = tenant.admin
    ids = [
        (await create(api, tenant.rep, name, tags=tags))["id"]
        for name, tags in (("Alpha", ["vip"]), ("Bravo", []), ("Charlie", ["Roofing", "old"]))
    ]
    set_ = {"addTags": ["Roofing", "spring"], "removeTags": ["OLD"]}
    dry = await api.mutate(
        BULK, {"input": {"ids": ids, "set": set_, "dryRun": True}}, token=admin.token
    )
    assert (dry["matchedCount"], dry["updatedCount"], dry["bulkOperationId"]) == (3, 3, None)
    assert [c["changes"] for c in dry["changes"]] == [
        {"tags": [["vip"], ["Roofing", "spring", "vip"]]},
        {"tags": [[], ["Roofing", "spring"]]},
        {"tags": [["old", "Roofing"], ["Roofing", "spring"]]},
    ]
    assert await names(api, tenant.rep, {"tags": ["spring"]}) == []

    done = await api.mutate(
        BULK,
        {"input": {"ids": ids, "set": {**set_, "billingStatus": "PAST_DUE"}}},
        token=admin.token,
    )
    assert (done["matchedCount"], done["updatedCount"]) == (3, 3)
    assert done["changes"][1]["changes"] == {
        "billingStatus": ["GOOD_STANDING", "PAST_DUE"],
        "tags": [[], ["Roofing", "spring"]],
    }
    state = await api.ok(LIST, token=tenant.rep.token)
    assert [n["tags"] for n in state["customers"]["nodes"]] == [
        ["Roofing", "spring", "vip"],
        ["Roofing", "spring"],
        ["Roofing", "spring"],
    ]
    counts = await api.ok(TAG_COUNTS, token=tenant.rep.token)
    assert counts["customerTags"] == [
        {"tag": "Roofing", "count": 3},
        {"tag": "spring", "count": 3},
        {"tag": "vip", "count": 1},
    ]
    # Someone edits Bravo meanwhile: the revert leaves Bravo alone.
    await api.mutate(UPDATE, {"id": ids[1], "input": {"tags": ["mine"]}}, token=tenant.rep.token)
    reverted = await api.mutate(REVERT, {"id": done["bulkOperationId"]}, token=admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (2, 1)
    assert reverted["skippedIds"] == [ids[1]]
    state = await api.ok(
        """{ customers(first: 10) { nodes { name tags billingStatus version } } }""",
        token=tenant.rep.token,
    )
    assert state["customers"]["nodes"] == [
        {"name": "Alpha", "tags": ["vip"], "billingStatus": "GOOD_STANDING", "version": 3},
        {"name": "Bravo", "tags": ["mine"], "billingStatus": "PAST_DUE", "version": 3},
        {
            "name": "Charlie",
            "tags": ["old", "Roofing"],
            "billingStatus": "GOOD_STANDING",
            "version": 3,
        },
    ]
    # Tags only, by filter: a customer at the limit refuses the whole update.
    full = [f"t{i}" for i in range(20)]
    await api.mutate(UPDATE, {"id": ids[0], "input": {"tags": full}}, token=tenant.rep.token)
    over = await api.ok(
        BULK, {"input": {"filter": {}, "set": {"addTags": ["one more"]}}}, token=admin.token
    )
    errors = over["customersBulkUpdate"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "set", "addTags"], "OUT_OF_RANGE")
    ]
    both = await api.ok(
        BULK,
        {"input": {"ids": ids, "set": {"addTags": ["a"], "removeTags": ["A"]}}},
        token=admin.token,
    )
    assert [e["code"] for e in both["customersBulkUpdate"]["userErrors"]] == ["INVALID"]
    nothing = await api.ok(BULK, {"input": {"ids": ids, "set": {}}}, token=admin.token)
    assert [e["code"] for e in nothing["customersBulkUpdate"]["userErrors"]] == ["REQUIRED"]
    async with database.transaction(None) as session:
        rows = (
            await session.execute(
                select(CustomerTag.tag).where(
                    CustomerTag.company_id == tenant.company_id, CustomerTag.tag == "one more"
                )
            )
        ).all()
    assert rows == []


STATEMENTS_QUERY = """query($first: Int, $f: CustomerFilter) {
  customers(first: $first, filter: $f, sort: [{field: LAST_INTERACTION_AT}]) {
  totalCount
  nodes {
    id name tags lastInteractionAt salesRep { name }
    nextTask { title dueOn overdue assignee { name } contact { name } location { name } }
    tasks(first: 5) { totalCount nodes { title } }
  } } }"""


async def test_new_columns_and_filters_keep_a_constant_statement_count(api, tenant, database):
    async with database.transaction(None) as session:
        result = await session.execute(
            insert(Customer).returning(Customer.id),
            [
                {
                    "company_id": tenant.company_id,
                    "name": f"Customer {i:03}",
                    "name_key": name_key(f"Customer {i:03}"),
                    "last_interaction_at": (utcnow() - timedelta(days=61 + i) if i % 4 else None),
                }
                for i in range(250)
            ],
        )
        ids = sorted(result.scalars())
        await session.execute(
            insert(CustomerTag),
            [
                {"company_id": tenant.company_id, "customer_id": pk, "tag": t, "tag_key": t.lower()}
                for pk in ids
                for t in ("Roofing", "VIP")[: pk % 3]
            ],
        )
        await session.execute(
            insert(Task),
            [
                {
                    "company_id": tenant.company_id,
                    "customer_id": pk,
                    "assignee_id": (tenant.rep.id, tenant.rep2.id)[j % 2],
                    "title": f"Task {j}",
                    "due_on": utcnow().date() + timedelta(days=j - 1),
                    "status": "OPEN",
                    "version": 1,
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for pk in ids
                for j in range(pk % 3)
            ],
        )
    segment = {"lastInteractionBefore": (utcnow().date() - timedelta(days=60)).isoformat()}
    counts = {}
    for size in (10, 100, 250):
        data = await api.ok(STATEMENTS_QUERY, {"first": size, "f": segment}, token=tenant.rep.token)
        counts[size] = api.last_statements
        assert len(data["customers"]["nodes"]) == size
        assert data["customers"]["totalCount"] == 250
    assert counts[10] == counts[100] == counts[250], counts
    # Auth, page, count, staff, tags, next tasks, tasks, contacts, locations.
    assert counts[10] <= 10, counts
    first = data["customers"]["nodes"][0]
    # Never contacted first: Customer 000, 004, ...
    assert first["name"] == "Customer 000"
    assert first["lastInteractionAt"] is None
    pk = decode_id(first["id"])[1]
    assert first["tags"] == ["Roofing", "VIP"][: pk % 3]
    assert first["tasks"]["totalCount"] == pk % 3
    if pk % 3:
        assert first["nextTask"]["title"] == "Task 0"
        assert first["nextTask"]["overdue"] is True
    else:
        assert first["nextTask"] is None
    assert encode_id("Customer", pk) == first["id"]


async def test_a_rep_limited_to_the_book_counts_only_the_books_tags(api, tenant):
    await create(api, tenant.admin, "Mine", salesRepId=tenant.rep.global_id, tags=["vip"])
    await create(api, tenant.admin, "Theirs", salesRepId=tenant.rep2.global_id, tags=["vip", "x"])
    await api.mutate(
        """mutation { companyUpdate(input: {repVisibility: ASSIGNED_ONLY}) { userErrors { code } } }""",
        token=tenant.admin.token,
    )
    mine = await api.ok(TAG_COUNTS, token=tenant.rep.token)
    assert mine["customerTags"] == [{"tag": "vip", "count": 1}]
    everyone = await api.ok(TAG_COUNTS, token=tenant.manager.token)
    assert everyone["customerTags"] == [{"tag": "vip", "count": 2}, {"tag": "x", "count": 1}]
    assert await names(api, tenant.rep, {"tags": ["VIP"]}) == ["Mine"]
