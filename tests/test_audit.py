"""Audit trail: root auditEvents (newest first, filters, permission) and actors."""

from __future__ import annotations

from resolvers.ids import encode_id

STAFF_UPDATE = """mutation($id: ID!, $input: StaffUpdateInput!) { staffUpdate(id: $id, input: $input) {
  staff { id } userErrors { code } } }"""

EVENTS = """query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { action entityType entityId changes bulkOperationId actor { id name } }
  } }"""


async def test_staff_changes_are_listed_newest_first_with_actor(api, tenant):
    await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep.global_id, "input": {"name": "Rita"}},
        token=tenant.admin.token,
    )
    await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep2.global_id, "input": {"role": "MANAGER"}},
        token=tenant.admin.token,
    )
    data = await api.ok(EVENTS, {"filter": {"entityTypes": ["Staff"]}}, token=tenant.manager.token)
    events = data["auditEvents"]
    assert events["totalCount"] == 2
    admin = {"id": tenant.admin.global_id, "name": f"Admin {tenant.admin.email[6:14]}"}
    assert events["nodes"] == [
        {
            "action": "staff.update",
            "entityType": "Staff",
            "entityId": tenant.rep2.global_id,
            "changes": {"role": ["REP", "MANAGER"]},
            "bulkOperationId": None,
            "actor": admin,
        },
        {
            "action": "staff.update",
            "entityType": "Staff",
            "entityId": tenant.rep.global_id,
            "changes": {"name": [f"Rep {tenant.rep.email[4:12]}", "Rita"]},
            "bulkOperationId": None,
            "actor": admin,
        },
    ]


async def test_filters_by_entity_actor_and_time(api, tenant):
    await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep.global_id, "input": {"name": "One"}},
        token=tenant.admin.token,
    )
    await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep.global_id, "input": {"name": "Two"}},
        token=tenant.admin.token,
    )
    await api.mutate(
        STAFF_UPDATE,
        {"id": tenant.rep2.global_id, "input": {"name": "Three"}},
        token=tenant.admin.token,
    )
    by_entity = await api.ok(
        EVENTS, {"filter": {"entityId": tenant.rep.global_id}}, token=tenant.admin.token
    )
    assert [n["changes"]["name"][1] for n in by_entity["auditEvents"]["nodes"]] == ["Two", "One"]
    by_actor = await api.ok(
        EVENTS, {"filter": {"actorIds": [tenant.manager.global_id]}}, token=tenant.admin.token
    )
    assert by_actor["auditEvents"]["totalCount"] == 0
    future = await api.ok(
        EVENTS, {"filter": {"from": "2999-01-01T00:00:00+00:00"}}, token=tenant.admin.token
    )
    assert future["auditEvents"]["totalCount"] == 0
    past = await api.ok(
        EVENTS, {"filter": {"to": "2999-01-01T00:00:00+00:00"}}, token=tenant.admin.token
    )
    # Three updates; staff created by the fixture were not made through the API.
    assert past["auditEvents"]["totalCount"] == 3
    paged = await api.ok(EVENTS, {"first": 2}, token=tenant.admin.token)
    assert paged["auditEvents"]["pageInfo"]["hasNextPage"] is True
    rest = await api.ok(
        EVENTS,
        {"first": 2, "after": paged["auditEvents"]["pageInfo"]["endCursor"]},
        token=tenant.admin.token,
    )
    assert [n["changes"]["name"][1] for n in rest["auditEvents"]["nodes"]] == ["One"]


async def test_reps_may_not_read_the_company_log(api, tenant):
    body = await api.gql(EVENTS, token=tenant.rep.token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_bad_filter_ids_are_clear_errors(api, tenant):
    body = await api.gql(
        EVENTS, {"filter": {"actorIds": [encode_id("Customer", 1)]}}, token=tenant.admin.token
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert "filter.actorIds" in body["errors"][0]["message"]


async def test_other_companies_events_are_invisible(api, tenant, other_tenant):
    await api.mutate(
        STAFF_UPDATE,
        {"id": other_tenant.rep.global_id, "input": {"name": "Theirs"}},
        token=other_tenant.admin.token,
    )
    mine = await api.ok(EVENTS, token=tenant.admin.token)
    assert mine["auditEvents"]["totalCount"] == 0
    by_id = await api.ok(
        EVENTS, {"filter": {"entityId": other_tenant.rep.global_id}}, token=tenant.admin.token
    )
    assert by_id["auditEvents"]["nodes"] == []
