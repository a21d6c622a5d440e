"""Follow-ups: a rep plans the day with tasks on customers (issue 18)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from db.models import AuditEvent, Interaction, Task
from resolvers.timeline import hub_for
from tests.relationship_support import pk
from tests.test_timeline import WAIT_SECONDS, bearer, next_event, socket

CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field code } } }"""
CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { field code } } }"""
LOCATION = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
  location { id } userErrors { field code } } }"""
TASK_FIELDS = """id title notes dueOn status overdue completedAt version
  customer { name } contact { name } location { name } assignee { name }
  completedBy { name } createdBy { name }"""
CREATE = f"""mutation($input: TaskCreateInput!) {{ taskCreate(input: $input) {{
  task {{ {TASK_FIELDS} }} userErrors {{ field message code }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: TaskUpdateInput!) {{ taskUpdate(id: $id, input: $input) {{
  task {{ {TASK_FIELDS} }} userErrors {{ field message code }} }} }}"""
COMPLETE = f"""mutation($id: ID!) {{ taskComplete(id: $id) {{
  task {{ {TASK_FIELDS} }} userErrors {{ field message code }} }} }}"""
DELETE = """mutation($id: ID!) { taskDelete(id: $id) {
  deletedTaskId userErrors { field message code } } }"""
TASKS = """query($f: TaskFilter, $s: [TaskSort!], $first: Int, $after: String) {
  tasks(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount nodes { title dueOn status overdue }
    pageInfo { hasNextPage endCursor } } }"""
CUSTOMER_TASKS = """query($id: ID!) { customer(id: $id) {
  nextTask { title dueOn }
  tasks { totalCount nodes { title status } }
  open: tasks(statuses: [OPEN]) { totalCount } } }"""
TIMEZONE = """mutation($tz: String!) { companyUpdate(input: {timezone: $tz}) {
  userErrors { code } } }"""


async def customer(api, member, name: str, **extra) -> str:
    payload = await api.mutate(CUSTOMER, {"input": {"name": name, **extra}}, token=member.token)
    return payload["customer"]["id"]


def today_in(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


async def test_a_rep_plans_follow_ups_and_works_through_them(api, tenant):
    rep = tenant.rep
    harbor = await customer(api, rep, "Harbor Grocers")
    contact = (
        await api.mutate(
            CONTACT, {"input": {"customerId": harbor, "name": "Dana"}}, token=rep.token
        )
    )["contact"]["id"]
    site = (
        await api.mutate(
            LOCATION, {"input": {"customerId": harbor, "name": "Dockside"}}, token=rep.token
        )
    )["location"]["id"]
    today = today_in("UTC")
    late = await api.mutate(
        CREATE,
        {
            "input": {
                "customerId": harbor,
                "title": "Send the exterior quote",
                "notes": "Left VM re: exterior quote",
                "dueOn": (today - timedelta(days=2)).isoformat(),
                "contactId": contact,
                "locationId": site,
            }
        },
        token=rep.token,
    )
    rep_name = late["task"]["assignee"]["name"]
    assert late["task"] == {
        "id": late["task"]["id"],
        "title": "Send the exterior quote",
        "notes": "Left VM re: exterior quote",
        "dueOn": (today - timedelta(days=2)).isoformat(),
        "status": "OPEN",
        "overdue": True,
        "completedAt": None,
        "version": 1,
        "customer": {"name": "Harbor Grocers"},
        "contact": {"name": "Dana"},
        "location": {"name": "Dockside"},
        "assignee": {"name": rep_name},
        "completedBy": None,
        "createdBy": {"name": rep_name},
    }
    assert rep_name.startswith("Rep ")
    thursday = await api.mutate(
        CREATE,
        {
            "input": {
                "customerId": harbor,
                "title": "Follow up Thursday",
                "dueOn": (today + timedelta(days=3)).isoformat(),
                "assigneeId": tenant.rep2.global_id,
            }
        },
        token=rep.token,
    )
    assert thursday["task"]["overdue"] is False
    assert thursday["task"]["assignee"]["name"].startswith("Rep2 ")
    someday = await api.mutate(
        CREATE, {"input": {"customerId": harbor, "title": "Someday"}}, token=rep.token
    )
    due_today = await api.mutate(
        CREATE,
        {"input": {"customerId": harbor, "title": "Today", "dueOn": today.isoformat()}},
        token=rep.token,
    )
    assert due_today["task"]["overdue"] is False

    # Default: OPEN ones by due day, none last.
    data = await api.ok(TASKS, token=rep.token)
    assert [n["title"] for n in data["tasks"]["nodes"]] == [
        "Send the exterior quote",
        "Today",
        "Follow up Thursday",
        "Someday",
    ]
    assert data["tasks"]["totalCount"] == 4
    overdue = await api.ok(TASKS, {"f": {"overdue": True}}, token=rep.token)
    assert [n["title"] for n in overdue["tasks"]["nodes"]] == ["Send the exterior quote"]
    mine = await api.ok(TASKS, {"f": {"assigneeIds": [tenant.rep2.global_id]}}, token=rep.token)
    assert [n["title"] for n in mine["tasks"]["nodes"]] == ["Follow up Thursday"]
    window = await api.ok(
        TASKS,
        {"f": {"dueFrom": today.isoformat(), "dueTo": (today + timedelta(days=3)).isoformat()}},
        token=rep.token,
    )
    assert [n["title"] for n in window["tasks"]["nodes"]] == ["Today", "Follow up Thursday"]
    newest = await api.ok(
        TASKS, {"s": [{"field": "CREATED_AT", "direction": "DESC"}]}, token=rep.token
    )
    assert [n["title"] for n in newest["tasks"]["nodes"]] == [
        "Today",
        "Someday",
        "Follow up Thursday",
        "Send the exterior quote",
    ]
    # Pages of two walk the same order.
    first = await api.ok(TASKS, {"first": 2}, token=rep.token)
    second = await api.ok(
        TASKS, {"first": 2, "after": first["tasks"]["pageInfo"]["endCursor"]}, token=rep.token
    )
    assert [n["title"] for n in second["tasks"]["nodes"]] == ["Follow up Thursday", "Someday"]
    assert second["tasks"]["pageInfo"]["hasNextPage"] is False

    relationship = await api.ok(CUSTOMER_TASKS, {"id": harbor}, token=rep.token)
    assert relationship["customer"]["nextTask"] == {
        "title": "Send the exterior quote",
        "dueOn": (today - timedelta(days=2)).isoformat(),
    }

    # Done: who and when are recorded, it leaves the default list, the next one moves up.
    done = await api.mutate(COMPLETE, {"id": late["task"]["id"]}, token=tenant.rep2.token)
    assert done["task"]["status"] == "DONE"
    assert done["task"]["overdue"] is False
    assert done["task"]["completedBy"]["name"].startswith("Rep2 ")
    assert done["task"]["completedAt"] is not None
    assert done["task"]["version"] == 2
    again = await api.ok(COMPLETE, {"id": late["task"]["id"]}, token=rep.token)
    assert again["taskComplete"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    relationship = await api.ok(CUSTOMER_TASKS, {"id": harbor}, token=rep.token)
    assert relationship["customer"]["nextTask"]["title"] == "Today"
    assert [n["title"] for n in relationship["customer"]["tasks"]["nodes"]] == [
        "Today",
        "Follow up Thursday",
        "Someday",
        "Send the exterior quote",
    ]
    assert relationship["customer"]["tasks"]["totalCount"] == 4
    assert relationship["customer"]["open"]["totalCount"] == 3
    everything = await api.ok(TASKS, {"f": {"statuses": ["DONE"]}}, token=rep.token)
    assert [n["title"] for n in everything["tasks"]["nodes"]] == ["Send the exterior quote"]

    # Edits: a stale version writes nothing; reopening clears completion.
    stale = await api.ok(
        UPDATE,
        {"id": someday["task"]["id"], "input": {"title": "Never", "expectedVersion": 7}},
        token=rep.token,
    )
    assert stale["taskUpdate"]["userErrors"][0]["code"] == "STALE"
    moved = await api.mutate(
        UPDATE,
        {
            "id": someday["task"]["id"],
            "input": {"dueOn": (today + timedelta(days=1)).isoformat(), "expectedVersion": 1},
        },
        token=rep.token,
    )
    assert moved["task"]["dueOn"] == (today + timedelta(days=1)).isoformat()
    assert moved["task"]["title"] == "Someday"
    reopened = await api.mutate(
        UPDATE, {"id": late["task"]["id"], "input": {"status": "OPEN"}}, token=rep.token
    )
    assert (reopened["task"]["status"], reopened["task"]["completedBy"]) == ("OPEN", None)
    assert reopened["task"]["overdue"] is True

    # Deleting: the assignee or author, a manager or an admin.
    refused = await api.ok(DELETE, {"id": someday["task"]["id"]}, token=tenant.rep2.token)
    assert refused["taskDelete"]["userErrors"][0]["code"] == "FORBIDDEN"
    gone = await api.mutate(DELETE, {"id": someday["task"]["id"]}, token=tenant.manager.token)
    assert gone["deletedTaskId"] == someday["task"]["id"]
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": someday["task"]["id"]}, token=rep.token
    )
    assert node["node"] is None


async def test_the_audit_trail_speaks_api_terms(api, tenant, database):
    harbor = await customer(api, tenant.rep, "Harbor")
    created = await api.mutate(
        CREATE,
        {"input": {"customerId": harbor, "title": "Call", "dueOn": "2030-01-02"}},
        token=tenant.rep.token,
    )
    await api.mutate(
        UPDATE,
        {"id": created["task"]["id"], "input": {"assigneeId": tenant.rep2.global_id}},
        token=tenant.rep.token,
    )
    async with database.transaction(None) as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.changes)
                .where(AuditEvent.company_id == tenant.company_id, AuditEvent.entity_type == "Task")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [tuple(e) for e in events] == [
        (
            "task.create",
            {
                "title": [None, "Call"],
                "dueOn": [None, "2030-01-02"],
                "assigneeId": [None, tenant.rep.global_id],
            },
        ),
        ("task.update", {"assigneeId": [tenant.rep.global_id, tenant.rep2.global_id]}),
    ]


async def test_overdue_is_judged_in_the_company_time_zone(api, tenant):
    harbor = await customer(api, tenant.rep, "Harbor")
    # At any moment one of these two zones is on another day than UTC.
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        await api.mutate(TIMEZONE, {"tz": zone}, token=tenant.admin.token)
        local = today_in(zone)
        for offset, overdue in ((-1, True), (0, False)):
            due = (local + timedelta(days=offset)).isoformat()
            task = await api.mutate(
                CREATE,
                {"input": {"customerId": harbor, "title": f"{zone} {offset}", "dueOn": due}},
                token=tenant.rep.token,
            )
            assert task["task"]["overdue"] is overdue, (zone, offset)
            listed = await api.ok(
                TASKS,
                {"f": {"overdue": True, "dueFrom": due, "dueTo": due}},
                token=tenant.rep.token,
            )
            assert [n["title"] for n in listed["tasks"]["nodes"]] == (
                [f"{zone} {offset}"] if overdue else []
            )


async def test_bad_input_is_refused_and_writes_nothing(api, tenant, other_tenant, database):
    harbor = await customer(api, tenant.rep, "Harbor")
    elsewhere = await customer(api, tenant.rep, "Elsewhere")
    foreign = await customer(api, other_tenant.rep, "Foreign")
    their_contact = (
        await api.mutate(
            CONTACT, {"input": {"customerId": elsewhere, "name": "Pat"}}, token=tenant.rep.token
        )
    )["contact"]["id"]
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) { userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    cases = [
        ({"customerId": harbor, "title": "  "}, [(["input", "title"], "REQUIRED")]),
        ({"customerId": harbor, "title": "x" * 201}, [(["input", "title"], "TOO_LONG")]),
        ({"customerId": "nope", "title": "A"}, [(["input", "customerId"], "INVALID_ID")]),
        ({"customerId": foreign, "title": "A"}, [(["input", "customerId"], "NOT_FOUND")]),
        (
            {"customerId": harbor, "title": "A", "assigneeId": tenant.rep2.global_id},
            [(["input", "assigneeId"], "INACTIVE_STAFF")],
        ),
        (
            {"customerId": harbor, "title": "A", "assigneeId": other_tenant.rep.global_id},
            [(["input", "assigneeId"], "NOT_FOUND")],
        ),
        (
            {"customerId": harbor, "title": "A", "contactId": their_contact},
            [(["input", "contactId"], "INVALID")],
        ),
    ]
    for input, expected in cases:
        data = await api.ok(CREATE, {"input": input}, token=tenant.rep.token)
        errors = data["taskCreate"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == expected, input
        assert data["taskCreate"]["task"] is None
    async with database.transaction(None) as session:
        count = await session.scalar(
            select(func.count(Task.id)).where(Task.company_id == tenant.company_id)
        )
    assert count == 0
    backwards = await api.gql(
        TASKS, {"f": {"dueFrom": "2030-01-02", "dueTo": "2030-01-01"}}, token=tenant.rep.token
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_id = await api.gql(TASKS, {"f": {"customerIds": ["nope"]}}, token=tenant.rep.token)
    assert bad_id["errors"][0]["extensions"]["code"] == "INVALID_ID"


async def test_tasks_of_another_company_are_out_of_reach(api, tenant, other_tenant):
    harbor = await customer(api, tenant.rep, "Harbor")
    task = await api.mutate(
        CREATE, {"input": {"customerId": harbor, "title": "Ours"}}, token=tenant.rep.token
    )
    task_id = task["task"]["id"]
    theirs = await api.ok(TASKS, token=other_tenant.admin.token)
    assert theirs["tasks"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    for mutation, variables in (
        (COMPLETE, {"id": task_id}),
        (UPDATE, {"id": task_id, "input": {"title": "Theirs"}}),
        (DELETE, {"id": task_id}),
    ):
        data = await api.ok(mutation, variables, token=other_tenant.admin.token)
        (payload,) = data.values()
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": task_id}, token=other_tenant.admin.token
    )
    assert node["node"] is None
    still = await api.ok(TASKS, token=tenant.rep.token)
    assert [n["title"] for n in still["tasks"]["nodes"]] == ["Ours"]


async def test_a_rep_limited_to_the_book_sees_only_the_books_tasks(api, tenant):
    mine = await customer(api, tenant.admin, "Mine", salesRepId=tenant.rep.global_id)
    theirs = await customer(api, tenant.admin, "Theirs", salesRepId=tenant.rep2.global_id)
    ours = await api.mutate(
        CREATE, {"input": {"customerId": mine, "title": "Mine to do"}}, token=tenant.admin.token
    )
    hidden = await api.mutate(
        CREATE, {"input": {"customerId": theirs, "title": "Not mine"}}, token=tenant.admin.token
    )
    await api.mutate(
        """mutation { companyUpdate(input: {repVisibility: ASSIGNED_ONLY}) { userErrors { code } } }""",
        token=tenant.admin.token,
    )
    seen = await api.ok(TASKS, token=tenant.rep.token)
    assert [n["title"] for n in seen["tasks"]["nodes"]] == ["Mine to do"]
    assert seen["tasks"]["totalCount"] == 1
    node = await api.ok(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [ours["task"]["id"], hidden["task"]["id"]]},
        token=tenant.rep.token,
    )
    assert node["nodes"] == [{"id": ours["task"]["id"]}, None]
    refused = await api.ok(COMPLETE, {"id": hidden["task"]["id"]}, token=tenant.rep.token)
    assert [e["code"] for e in refused["taskComplete"]["userErrors"]] == ["NOT_FOUND"]
    create = await api.ok(
        CREATE, {"input": {"customerId": theirs, "title": "Sneak"}}, token=tenant.rep.token
    )
    assert [e["code"] for e in create["taskCreate"]["userErrors"]] == ["NOT_FOUND"]
    everyone = await api.ok(TASKS, token=tenant.manager.token)
    assert [n["title"] for n in everyone["tasks"]["nodes"]] == ["Mine to do", "Not mine"]


INTERACTION = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id occurredAt createdAt contact { name } location { name } }
  task { title dueOn contact { name } location { name } assignee { name } }
  userErrors { field message code } } }"""


async def test_an_interaction_names_whom_it_was_with_and_books_the_follow_up(api, tenant, database):
    harbor = await customer(api, tenant.rep, "Harbor")
    dana = (
        await api.mutate(
            CONTACT, {"input": {"customerId": harbor, "name": "Dana"}}, token=tenant.rep.token
        )
    )["contact"]["id"]
    dock = (
        await api.mutate(
            LOCATION, {"input": {"customerId": harbor, "name": "Dock"}}, token=tenant.rep.token
        )
    )["location"]["id"]
    logged = await api.mutate(
        INTERACTION,
        {
            "input": {
                "customerId": harbor,
                "kind": "VOICEMAIL",
                "body": "Left VM re: exterior quote, following up Thu",
                "occurredAt": "2026-12-01T09:30:15.250000-05:00",
                "contactId": dana,
                "locationId": dock,
                "followUp": {
                    "title": "Call Dana back",
                    "dueOn": "2030-12-03",
                    "assigneeId": tenant.rep2.global_id,
                },
            }
        },
        token=tenant.rep.token,
    )
    assert logged["interaction"]["occurredAt"] == "2026-12-01T14:30:15.250000+00:00"
    assert logged["interaction"]["createdAt"] == logged["interaction"]["occurredAt"]
    assert logged["interaction"]["contact"] == {"name": "Dana"}
    assert logged["interaction"]["location"] == {"name": "Dock"}
    assert logged["task"]["title"] == "Call Dana back"
    assert logged["task"]["dueOn"] == "2030-12-03"
    assert logged["task"]["contact"] == {"name": "Dana"}
    assert logged["task"]["location"] == {"name": "Dock"}
    assert logged["task"]["assignee"]["name"].startswith("Rep2 ")

    # A bad follow-up refuses the whole mutation: no interaction either.
    refused = await api.ok(
        INTERACTION,
        {
            "input": {
                "customerId": harbor,
                "kind": "CALL",
                "body": "Spoke",
                "followUp": {"title": " "},
            }
        },
        token=tenant.rep.token,
    )
    assert [(e["field"], e["code"]) for e in refused["interactionCreate"]["userErrors"]] == [
        (["input", "followUp", "title"], "REQUIRED")
    ]
    other = await customer(api, tenant.rep, "Other")
    wrong = await api.ok(
        INTERACTION,
        {"input": {"customerId": other, "kind": "CALL", "body": "Spoke", "contactId": dana}},
        token=tenant.rep.token,
    )
    assert [(e["field"], e["code"]) for e in wrong["interactionCreate"]["userErrors"]] == [
        (["input", "contactId"], "INVALID")
    ]
    async with database.transaction(None) as session:
        interactions = await session.scalar(
            select(func.count(Interaction.id)).where(Interaction.company_id == tenant.company_id)
        )
        tasks = await session.scalar(
            select(func.count(Task.id)).where(Task.company_id == tenant.company_id)
        )
    assert (interactions, tasks) == (1, 1)

    # Clearing whom it was with on an edit.
    cleared = await api.mutate(
        """mutation($id: ID!) { interactionUpdate(id: $id, input: {contactId: null}) {
             interaction { contact { name } location { name } } userErrors { code } } }""",
        {"id": logged["interaction"]["id"]},
        token=tenant.rep.token,
    )
    assert cleared["interaction"] == {"contact": None, "location": {"name": "Dock"}}


TIMELINE = """subscription($id: ID!) { customerTimeline(customerId: $id) {
  event interactionId taskId task { title status } interaction { body } } }"""


async def test_completed_tasks_and_interactions_appear_on_the_timeline(api, app, tenant, database):
    harbor = await customer(api, tenant.rep, "Harbor")
    task = await api.mutate(
        CREATE, {"input": {"customerId": harbor, "title": "Quote"}}, token=tenant.rep.token
    )
    async with socket(app, bearer(tenant.rep)) as ws:
        assert (await ws.receive_json(timeout=WAIT_SECONDS))["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "2",
                "type": "subscribe",
                "payload": {"query": TIMELINE, "variables": {"id": harbor}},
            }
        )
        await _wait_subscribers(database, tenant, harbor)
        await api.mutate(
            """mutation($id: ID!) { taskUpdate(id: $id, input: {title: "Quote sent"}) {
                 userErrors { code } } }""",
            {"id": task["task"]["id"]},
            token=tenant.rep.token,
        )
        await api.mutate(COMPLETE, {"id": task["task"]["id"]}, token=tenant.rep.token)
        event = await next_event(ws)
        assert event == {
            "event": "TASK_COMPLETED",
            "interactionId": None,
            "taskId": task["task"]["id"],
            "task": {"title": "Quote sent", "status": "DONE"},
            "interaction": None,
        }
        await api.mutate(
            INTERACTION,
            {"input": {"customerId": harbor, "kind": "CALL", "body": "Quote accepted"}},
            token=tenant.rep.token,
        )
        event = await next_event(ws)
        assert (event["event"], event["taskId"], event["interaction"]) == (
            "CREATED",
            None,
            {"body": "Quote accepted"},
        )


async def _wait_subscribers(database, tenant, customer_id: str) -> None:
    hub = hub_for(database)
    for _ in range(WAIT_SECONDS * 100):
        if hub.subscriber_count(tenant.company_id, pk(customer_id)) == 1:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the task subscription never registered")
