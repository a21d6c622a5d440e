"""customersBulkUpdate by filter: the list's own filter picks the rows; revert after edits."""

from __future__ import annotations

from typing import Any

from tests.test_bulk import BULK, REVERT, audit_count, state

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, input: $input) {
  customer { version } userErrors { field code message } } }"""


async def create(api, token: str, **input: Any) -> str:
    payload = await api.mutate(CREATE, {"input": input}, token=token)
    return payload["customer"]["id"]


async def test_bulk_update_by_filter_touches_exactly_the_filtered_customers(
    api, tenant, other_tenant
):
    token = tenant.admin.token
    late = [
        await create(api, token, name=name, billingStatus="PAST_DUE") for name in ("Acme", "Bolt")
    ]
    good = await create(api, token, name="Crane")
    archived = await create(api, token, name="Dusty", billingStatus="PAST_DUE", status="ARCHIVED")
    theirs = await create(api, other_tenant.admin.token, name="Theirs", billingStatus="PAST_DUE")
    by_filter = {
        "filter": {"billingStatuses": ["PAST_DUE"]},
        "set": {"billingStatus": "CREDIT_HOLD"},
    }

    dry = await api.mutate(BULK, {"input": {**by_filter, "dryRun": True}}, token=token)
    assert (dry["matchedCount"], dry["updatedCount"], dry["bulkOperationId"]) == (2, 2, None)
    assert [c["entityId"] for c in dry["changes"]] == late
    events_before = await audit_count(api, token)

    done = await api.mutate(BULK, {"input": by_filter}, token=token)
    assert (done["matchedCount"], done["updatedCount"]) == (2, 2)
    rows = await state(api, [*late, good, archived], token)
    assert [(r["name"], r["billingStatus"], r["version"]) for r in rows] == [
        ("Acme", "CREDIT_HOLD", 2),
        ("Bolt", "CREDIT_HOLD", 2),
        ("Crane", "GOOD_STANDING", 1),
        # The list leaves archived customers out unless asked, and so does the bulk update.
        ("Dusty", "PAST_DUE", 1),
    ]
    assert await audit_count(api, token) == events_before + 2
    assert (await state(api, [theirs], other_tenant.admin.token))[0]["billingStatus"] == "PAST_DUE"

    # Running it again matches nothing: they are all on credit hold now.
    again = await api.mutate(BULK, {"input": by_filter}, token=token)
    assert (again["matchedCount"], again["updatedCount"]) == (0, 0)

    # Someone edits Bolt by hand; the revert restores Acme only.
    await api.mutate(UPDATE, {"id": late[1], "input": {"phone": "555-0100"}}, token=token)
    reverted = await api.mutate(REVERT, {"id": done["bulkOperationId"]}, token=token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (1, 1)
    assert reverted["skippedIds"] == [late[1]]
    rows = await state(api, late, token)
    assert [(r["billingStatus"], r["version"]) for r in rows] == [
        ("PAST_DUE", 3),
        ("CREDIT_HOLD", 3),
    ]


async def test_filter_by_rep_and_bad_filter_ids(api, tenant):
    token = tenant.manager.token
    mine = await create(api, token, name="Mine", salesRepId=tenant.rep.global_id)
    other = await create(api, token, name="Other", salesRepId=tenant.rep2.global_id)
    # Rep hands over their customers to rep2's care... and back.
    done = await api.mutate(
        BULK,
        {
            "input": {
                "filter": {"salesRepIds": [tenant.rep.global_id]},
                "set": {"salesRepId": tenant.rep2.global_id},
            }
        },
        token=token,
    )
    assert (done["matchedCount"], done["updatedCount"]) == (1, 1)
    rows = await state(api, [mine, other], token)
    assert [r["salesRep"]["id"] for r in rows] == [tenant.rep2.global_id] * 2

    bad = await api.ok(
        BULK,
        {"input": {"filter": {"salesRepIds": ["nope"]}, "set": {"clearSalesRep": True}}},
        token=token,
    )
    errors = bad["customersBulkUpdate"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "filter", "salesRepIds", "0"], "INVALID_ID")
    ]
    both = await api.ok(
        BULK,
        {"input": {"ids": [mine], "filter": {}, "set": {"clearSalesRep": True}}},
        token=token,
    )
    assert both["customersBulkUpdate"]["userErrors"][0]["code"] == "INVALID"
    assert [r["salesRep"]["id"] for r in await state(api, [mine, other], token)] == [
        tenant.rep2.global_id
    ] * 2
