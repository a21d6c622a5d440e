"""locationsBulkUpdate: rep overrides set or dropped in bulk, audited and revertible."""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import Location
from resolvers.ids import decode_id
from tests.test_bulk import REVERT, add_customers, add_locations, audit_count

LOCATIONS_BULK = """mutation($input: LocationsBulkUpdateInput!) { locationsBulkUpdate(input: $input) {
  matchedCount updatedCount bulkOperationId changes { entityId changes }
  bulkOperation { entityType } userErrors { field code message } } }"""


async def location_reps(database, ids: list[str]) -> list[tuple[int | None, int]]:
    """(rep override, version) of each location; Location's type lives on another branch."""
    pks = [decode_id(i)[1] for i in ids]
    async with database.transaction(None) as session:
        rows = await session.execute(
            select(Location.id, Location.sales_rep_id, Location.version).where(Location.id.in_(pks))
        )
        by_id = {row.id: (row.sales_rep_id, row.version) for row in rows}
    return [by_id[pk] for pk in pks]


async def test_override_then_inherit_with_audit_on_the_customer(api, database, tenant):
    (customer,) = await add_customers(database, tenant, ["Acme"])
    ids = await add_locations(database, tenant, customer, ["North", "South", "West"])
    dry = await api.mutate(
        LOCATIONS_BULK,
        {"input": {"ids": ids, "set": {"salesRepId": tenant.rep.global_id}, "dryRun": True}},
        token=tenant.manager.token,
    )
    assert (dry["matchedCount"], dry["updatedCount"], dry["bulkOperationId"]) == (3, 3, None)
    assert await location_reps(database, ids) == [(None, 1)] * 3
    assert await audit_count(api, tenant.admin.token) == 0

    done = await api.mutate(
        LOCATIONS_BULK,
        {"input": {"ids": ids[:2], "set": {"salesRepId": tenant.rep.global_id}}},
        token=tenant.manager.token,
    )
    assert (done["matchedCount"], done["updatedCount"]) == (2, 2)
    assert done["bulkOperation"] == {"entityType": "Location"}
    assert done["changes"] == [
        {"entityId": i, "changes": {"salesRep": [None, tenant.rep.ref]}} for i in ids[:2]
    ]
    assert await location_reps(database, ids) == [(tenant.rep.id, 2), (tenant.rep.id, 2), (None, 1)]

    inherit = await api.mutate(
        LOCATIONS_BULK,
        {"input": {"ids": ids, "set": {"inheritSalesRep": True}}},
        token=tenant.admin.token,
    )
    assert (inherit["matchedCount"], inherit["updatedCount"]) == (3, 2)
    assert await location_reps(database, ids) == [(None, 3), (None, 3), (None, 1)]

    trail = await api.ok(
        """query($id: ID!) { customer(id: $id) { auditEvents {
             nodes { action entityType entityId changes } } } }""",
        {"id": customer},
        token=tenant.admin.token,
    )
    nodes = trail["customer"]["auditEvents"]["nodes"]
    assert [(n["action"], n["entityType"]) for n in nodes] == [
        ("location.bulk_update", "Location")
    ] * 4
    assert [n["changes"]["salesRep"] for n in nodes] == [
        [tenant.rep.ref, None],
        [tenant.rep.ref, None],
        [None, tenant.rep.ref],
        [None, tenant.rep.ref],
    ]


async def test_revert_skips_locations_changed_since(api, database, tenant):
    (customer,) = await add_customers(database, tenant, ["Acme"])
    ids = await add_locations(database, tenant, customer, ["North", "South"])
    done = await api.mutate(
        LOCATIONS_BULK,
        {"input": {"ids": ids, "set": {"salesRepId": tenant.rep.global_id}}},
        token=tenant.admin.token,
    )
    # Someone edits South's rep by hand meanwhile (an ordinary versioned update).
    async with database.transaction(None) as session:
        await session.execute(
            update(Location)
            .where(Location.name == "South", Location.company_id == tenant.company_id)
            .values(sales_rep_id=tenant.manager.id, version=Location.version + 1)
        )
    reverted = await api.mutate(REVERT, {"id": done["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (1, 1)
    assert reverted["skippedIds"] == [ids[1]]
    assert await location_reps(database, ids) == [(None, 3), (tenant.manager.id, 3)]


async def test_bad_location_input_writes_nothing(api, database, tenant, other_tenant):
    (customer,) = await add_customers(database, tenant, ["Acme"])
    ids = await add_locations(database, tenant, customer, ["North"])
    (their_customer,) = await add_customers(database, other_tenant, ["Theirs"])
    theirs = await add_locations(database, other_tenant, their_customer, ["Far"])
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             staff { id } userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    events_before = await audit_count(api, tenant.admin.token)
    cases = [
        ({"ids": ids, "set": {}}, [["input", "set"]], ["REQUIRED"]),
        (
            {"ids": ids, "set": {"salesRepId": tenant.rep.global_id, "inheritSalesRep": True}},
            [["input", "set"]],
            ["INVALID"],
        ),
        (
            {"ids": ids, "set": {"salesRepId": tenant.rep2.global_id}},
            [["input", "set", "salesRepId"]],
            ["INACTIVE_STAFF"],
        ),
        (
            {"ids": [*ids, *theirs], "set": {"inheritSalesRep": True}},
            [["input", "ids", "1"]],
            ["NOT_FOUND"],
        ),
        (
            {"ids": [customer], "set": {"inheritSalesRep": True}},
            [["input", "ids", "0"]],
            ["INVALID_ID"],
        ),
    ]
    for input, fields, codes in cases:
        payload = (await api.ok(LOCATIONS_BULK, {"input": input}, token=tenant.admin.token))[
            "locationsBulkUpdate"
        ]
        assert [e["field"] for e in payload["userErrors"]] == fields, input
        assert [e["code"] for e in payload["userErrors"]] == codes, input
    assert await location_reps(database, ids) == [(None, 1)]
    assert await location_reps(database, theirs) == [(None, 1)]
    assert await audit_count(api, tenant.admin.token) == events_before
    body = await api.gql(
        LOCATIONS_BULK,
        {"input": {"ids": ids, "set": {"inheritSalesRep": True}}},
        token=tenant.rep.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
