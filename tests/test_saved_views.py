"""Saved views: named views of the lists, private or shared, applied by the lists and the
CSV export; others' private views are invisible everywhere (issue 18)."""

from __future__ import annotations

import csv
import io

CREATE = """mutation($input: SavedViewCreateInput!) { savedViewCreate(input: $input) {
  savedView { id name view filter columns sort { field direction } shared editable version
              owner { name } }
  userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: SavedViewUpdateInput!) { savedViewUpdate(id: $id, input: $input) {
  savedView { name filter shared version } userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { savedViewDelete(id: $id) {
  deletedSavedViewId userErrors { field code } } }"""
VIEWS = """query($v: ListView) { savedViews(view: $v) { name shared editable } }"""
CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code } } }"""
LIST = """query($view: ID, $f: CustomerFilter, $s: [CustomerSort!]) {
  customers(savedViewId: $view, filter: $f, sort: $s) { totalCount nodes { name } } }"""
LOCATIONS = """query($view: ID, $f: LocationFilter) {
  locations(savedViewId: $view, filter: $f) { nodes { name customer { name } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on SavedView { name } } }"


async def customers(api, tenant):
    made = {}
    for name, extra in (
        ("Alpha", {"salesRepId": tenant.rep.global_id, "tags": ["vip"]}),
        ("Bravo", {"tags": ["vip"]}),
        ("Charlie", {}),
        ("Delta", {"tags": ["VIP"], "status": "PROSPECT"}),
    ):
        payload = await api.mutate(
            CUSTOMER, {"input": {"name": name, **extra}}, token=tenant.admin.token
        )
        made[name] = payload["customer"]["id"]
    return made


async def test_a_shared_view_filters_and_sorts_the_list_and_explicit_arguments_win(api, tenant):
    await customers(api, tenant)
    view = await api.mutate(
        CREATE,
        {
            "input": {
                "name": "Unassigned VIPs",
                "view": "CUSTOMERS",
                "filter": {"hasSalesRep": False, "tags": ["VIP"]},
                "columns": ["name", "tags", "lastInteractionAt"],
                "sort": [{"field": "name", "direction": "DESC"}],
                "shared": True,
            }
        },
        token=tenant.manager.token,
    )
    saved = view["savedView"]
    assert {k: v for k, v in saved.items() if k not in ("id", "owner")} == {
        "name": "Unassigned VIPs",
        "view": "CUSTOMERS",
        "filter": {"hasSalesRep": False, "tags": ["VIP"]},
        "columns": ["name", "tags", "lastInteractionAt"],
        "sort": [{"field": "name", "direction": "DESC"}],
        "shared": True,
        "editable": True,
        "version": 1,
    }
    rep = tenant.rep
    applied = await api.ok(LIST, {"view": saved["id"]}, token=rep.token)
    assert [n["name"] for n in applied["customers"]["nodes"]] == ["Delta", "Bravo"]
    # An explicit sort wins; an explicit filter field overrides the view's, the rest stays.
    resorted = await api.ok(
        LIST,
        {"view": saved["id"], "s": [{"field": "NAME", "direction": "ASC"}]},
        token=rep.token,
    )
    assert [n["name"] for n in resorted["customers"]["nodes"]] == ["Bravo", "Delta"]
    narrowed = await api.ok(
        LIST, {"view": saved["id"], "f": {"statuses": ["PROSPECT"]}}, token=rep.token
    )
    assert [n["name"] for n in narrowed["customers"]["nodes"]] == ["Delta"]
    widened = await api.ok(LIST, {"view": saved["id"], "f": {"hasSalesRep": True}}, token=rep.token)
    assert [n["name"] for n in widened["customers"]["nodes"]] == ["Alpha"]

    # Shared: everyone sees it; only its owner or an admin changes it.
    seen = await api.ok(VIEWS, {"v": "CUSTOMERS"}, token=rep.token)
    assert seen["savedViews"] == [{"name": "Unassigned VIPs", "shared": True, "editable": False}]
    refused = await api.ok(UPDATE, {"id": saved["id"], "input": {"name": "Mine"}}, token=rep.token)
    assert [e["code"] for e in refused["savedViewUpdate"]["userErrors"]] == ["FORBIDDEN"]
    refused = await api.ok(DELETE, {"id": saved["id"]}, token=rep.token)
    assert [e["code"] for e in refused["savedViewDelete"]["userErrors"]] == ["FORBIDDEN"]
    by_admin = await api.mutate(
        UPDATE,
        {
            "id": saved["id"],
            "input": {"filter": {"tags": ["vip"]}, "expectedVersion": 1},
        },
        token=tenant.admin.token,
    )
    assert by_admin["savedView"] == {
        "name": "Unassigned VIPs",
        "filter": {"tags": ["vip"]},
        "shared": True,
        "version": 2,
    }
    stale = await api.ok(
        UPDATE,
        {"id": saved["id"], "input": {"name": "Old", "expectedVersion": 1}},
        token=tenant.manager.token,
    )
    assert [e["code"] for e in stale["savedViewUpdate"]["userErrors"]] == ["STALE"]
    applied = await api.ok(LIST, {"view": saved["id"]}, token=rep.token)
    assert [n["name"] for n in applied["customers"]["nodes"]] == ["Delta", "Bravo", "Alpha"]
    gone = await api.mutate(DELETE, {"id": saved["id"]}, token=tenant.manager.token)
    assert gone["deletedSavedViewId"] == saved["id"]
    missing = await api.gql(LIST, {"view": saved["id"]}, token=rep.token)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_private_views_of_others_are_invisible(api, tenant, other_tenant):
    await customers(api, tenant)
    private = await api.mutate(
        CREATE,
        {"input": {"name": "My VIPs", "view": "CUSTOMERS", "filter": {"tags": ["vip"]}}},
        token=tenant.rep.token,
    )
    view_id = private["savedView"]["id"]
    assert private["savedView"]["shared"] is False
    mine = await api.ok(VIEWS, token=tenant.rep.token)
    assert mine["savedViews"] == [{"name": "My VIPs", "shared": False, "editable": True}]
    for member in (tenant.rep2, tenant.admin, other_tenant.admin):
        assert (await api.ok(VIEWS, token=member.token))["savedViews"] == []
        assert (await api.ok(NODE, {"id": view_id}, token=member.token))["node"] is None
        applied = await api.gql(LIST, {"view": view_id}, token=member.token)
        assert applied["data"] is None
        assert applied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        for mutation, variables in (
            (UPDATE, {"id": view_id, "input": {"shared": True}}),
            (DELETE, {"id": view_id}),
        ):
            data = await api.ok(mutation, variables, token=member.token)
            (payload,) = data.values()
            assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
        export = await api.client.get(
            "/export/customers.csv",
            params={"savedViewId": view_id},
            headers={"Authorization": f"Bearer {member.token}"},
        )
        assert export.status_code == 404
        assert export.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Its owner still has it, and sharing makes it visible to the company only.
    await api.mutate(UPDATE, {"id": view_id, "input": {"shared": True}}, token=tenant.rep.token)
    assert (await api.ok(NODE, {"id": view_id}, token=tenant.rep2.token))["node"] == {
        "name": "My VIPs"
    }
    assert (await api.ok(NODE, {"id": view_id}, token=other_tenant.admin.token))["node"] is None


async def test_bad_views_are_refused(api, tenant):
    cases = [
        (
            {"name": "X", "view": "CUSTOMERS", "filter": {"colour": "red"}},
            [(["input", "filter"], "INVALID")],
        ),
        (
            {"name": "X", "view": "LOCATIONS", "filter": {"hasSalesRep": False}},
            [(["input", "filter"], "INVALID")],
        ),
        (
            {"name": "X", "view": "CUSTOMERS", "filter": {"statuses": ["GONE"]}},
            [(["input", "filter", "statuses"], "INVALID")],
        ),
        (
            {"name": "X", "view": "CUSTOMERS", "filter": {"salesRepIds": ["nope"]}},
            [(["input", "filter", "salesRepIds"], "INVALID")],
        ),
        (
            {"name": "X", "view": "CUSTOMERS", "filter": {"lastInteractionBefore": "soon"}},
            [(["input", "filter", "lastInteractionBefore"], "INVALID")],
        ),
        ({"name": "X", "view": "CUSTOMERS", "filter": [1]}, [(["input", "filter"], "INVALID")]),
        ({"name": " ", "view": "CUSTOMERS"}, [(["input", "name"], "REQUIRED")]),
        (
            {"name": "X", "view": "CUSTOMERS", "columns": ["name", "colour"]},
            [(["input", "columns", "1"], "UNKNOWN_COLUMN")],
        ),
        (
            {"name": "X", "view": "CUSTOMERS", "sort": [{"field": "email"}]},
            [(["input", "sort", "0", "field"], "INVALID")],
        ),
        # An abusive filter is refused on its length.
        (
            {
                "name": "X",
                "view": "CUSTOMERS",
                "filter": {"tags": ["t"] * 100_000},
            },
            [(["input", "filter", "tags"], "INVALID")],
        ),
    ]
    for input, expected in cases:
        data = await api.ok(CREATE, {"input": input}, token=tenant.rep.token)
        errors = data["savedViewCreate"]["userErrors"]
        assert [(e["field"], e["code"]) for e in errors] == expected, input
    await api.mutate(
        CREATE, {"input": {"name": "Mine", "view": "CUSTOMERS"}}, token=tenant.rep.token
    )
    taken = await api.ok(
        CREATE, {"input": {"name": "Mine", "view": "CUSTOMERS"}}, token=tenant.rep.token
    )
    assert [e["code"] for e in taken["savedViewCreate"]["userErrors"]] == ["TAKEN"]
    views = await api.ok(VIEWS, token=tenant.rep.token)
    assert views["savedViews"] == [{"name": "Mine", "shared": False, "editable": True}]
    locations_view = await api.mutate(
        CREATE, {"input": {"name": "Sites", "view": "LOCATIONS"}}, token=tenant.rep.token
    )
    wrong_list = await api.gql(
        LIST, {"view": locations_view["savedView"]["id"]}, token=tenant.rep.token
    )
    assert wrong_list["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_locations_view_applies_its_filter(api, tenant):
    made = await customers(api, tenant)
    for customer, name in (("Alpha", "North"), ("Bravo", "South"), ("Alpha", "East")):
        await api.mutate(
            """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
                 userErrors { code } } }""",
            {"input": {"customerId": made[customer], "name": name}},
            token=tenant.admin.token,
        )
    view = await api.mutate(
        CREATE,
        {
            "input": {
                "name": "Alpha's sites",
                "view": "LOCATIONS",
                "filter": {"customerIds": [made["Alpha"]]},
                "columns": ["name", "city"],
            }
        },
        token=tenant.rep.token,
    )
    data = await api.ok(LOCATIONS, {"view": view["savedView"]["id"]}, token=tenant.rep.token)
    assert data["locations"]["nodes"] == [
        {"name": "East", "customer": {"name": "Alpha"}},
        {"name": "North", "customer": {"name": "Alpha"}},
    ]
    searched = await api.ok(
        LOCATIONS, {"view": view["savedView"]["id"], "f": {"search": "nor"}}, token=tenant.rep.token
    )
    assert [n["name"] for n in searched["locations"]["nodes"]] == ["North"]


async def test_the_csv_export_applies_a_view(api, tenant):
    await customers(api, tenant)
    view = await api.mutate(
        CREATE,
        {
            "input": {
                "name": "VIPs",
                "view": "CUSTOMERS",
                "filter": {"tags": ["vip"]},
                "columns": ["name", "tags", "lastInteractionAt", "nextTaskDueOn"],
                "sort": [{"field": "name", "direction": "DESC"}],
            }
        },
        token=tenant.rep.token,
    )
    for parameter in ("savedViewId", "view"):
        response = await api.client.get(
            "/export/customers.csv",
            params={parameter: view["savedView"]["id"]},
            headers={"Authorization": f"Bearer {tenant.rep.token}"},
        )
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == [
            ["name", "tags", "lastInteractionAt", "nextTaskDueOn"],
            ["Delta", "VIP", "", ""],
            ["Bravo", "vip", "", ""],
            ["Alpha", "vip", "", ""],
        ]
