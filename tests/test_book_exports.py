"""The CSV side of issue 18: /export/interactions.csv, and the customer export's new
columns and segment parameters."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.test_tasks import CONTACT, CREATE, customer, today_in

INTERACTION = """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
  interaction { id } userErrors { code } } }"""


async def get(api, path: str, member, params=None):
    return await api.client.get(
        path, params=params or {}, headers={"Authorization": f"Bearer {member.token}"}
    )


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))


async def log(api, member, customer_id: str, kind: str, body: str, at: str, **extra) -> str:
    payload = await api.mutate(
        INTERACTION,
        {
            "input": {
                "customerId": customer_id,
                "kind": kind,
                "body": body,
                "occurredAt": at,
                **extra,
            }
        },
        token=member.token,
    )
    return payload["interaction"]["id"]


async def test_interactions_export_with_the_lists_filters(api, tenant, other_tenant):
    await api.mutate(
        """mutation { companyUpdate(input: {timezone: "America/New_York"}) { userErrors { code } } }""",
        token=tenant.admin.token,
    )
    harbor = await customer(api, tenant.rep, "Harbor")
    cafe = await customer(api, tenant.rep, "Café")
    dana = (
        await api.mutate(
            CONTACT, {"input": {"customerId": harbor, "name": "Dana"}}, token=tenant.rep.token
        )
    )["contact"]["id"]
    first = await log(
        api,
        tenant.rep,
        harbor,
        "CALL",
        "=cmd|' /C calc'!A0",
        "2026-11-30T23:30:00-05:00",
        contactId=dana,
    )
    second = await log(
        api, tenant.rep2, cafe, "VISIT", "Dropped samples", "2026-12-01T10:00:00-05:00"
    )
    await log(
        api,
        other_tenant.rep,
        await customer(api, other_tenant.rep, "X"),
        "CALL",
        "No",
        "2026-12-01T10:00:00Z",
    )

    everything = rows(await get(api, "/export/interactions.csv", tenant.rep))
    author = everything[1][5]
    assert everything == [
        [
            "id",
            "occurredAt",
            "kind",
            "customerId",
            "customer",
            "author",
            "contact",
            "location",
            "body",
            "edited",
            "updatedAt",
        ],
        [
            second,
            "2026-12-01T15:00:00+00:00",
            "VISIT",
            cafe,
            "Café",
            author,
            "",
            "",
            "Dropped samples",
            "false",
            everything[1][10],
        ],
        [
            first,
            "2026-12-01T04:30:00+00:00",
            "CALL",
            harbor,
            "Harbor",
            everything[2][5],
            "Dana",
            "",
            "'=cmd|' /C calc'!A0",
            "false",
            everything[2][10],
        ],
    ]
    assert author.startswith("Rep2 ")
    # Days are the company's: 30 November in New York holds the first call only.
    november = rows(
        await get(
            api, "/export/interactions.csv", tenant.rep, {"from": "2026-11-30", "to": "2026-11-30"}
        )
    )
    assert [r[0] for r in november[1:]] == [first]
    assert [
        r[0]
        for r in rows(await get(api, "/export/interactions.csv", tenant.rep, {"kind": "VISIT"}))[1:]
    ] == [second]
    by_staff = rows(
        await get(api, "/export/interactions.csv", tenant.rep, {"staff": tenant.rep.global_id})
    )
    assert [r[0] for r in by_staff[1:]] == [first]
    assert [
        r[0]
        for r in rows(await get(api, "/export/interactions.csv", tenant.rep, {"customer": cafe}))[
            1:
        ]
    ] == [second]
    assert [
        r[0]
        for r in rows(
            await get(api, "/export/interactions.csv", tenant.rep, {"search": "samples"})
        )[1:]
    ] == [second]
    theirs = rows(await get(api, "/export/interactions.csv", other_tenant.rep))
    assert [r[8] for r in theirs[1:]] == ["No"]

    bad = [
        (
            {"colour": "red"},
            "BAD_REQUEST",
            "valid: staffIds, customerIds, kinds, occurredFrom, occurredTo, from, to, search",
        ),
        ({"kind": "SHOUT"}, "BAD_REQUEST", "`kinds`"),
        ({"customer": "nope"}, "INVALID_ID", "Not a valid Customer id"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "BAD_REQUEST", "`from` must be before"),
        ({"from": "2026-12-01T10:00:00"}, "BAD_REQUEST", "UTC offset"),
    ]
    for params, code, message in bad:
        response = await get(api, "/export/interactions.csv", tenant.rep, params)
        assert response.status_code == 400, params
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == code
        assert message in error["message"], error
    anonymous = await api.client.get("/export/interactions.csv")
    assert anonymous.status_code == 401


async def test_customers_export_new_columns_and_segments(api, tenant):
    today = today_in("UTC")
    harbor = await customer(api, tenant.rep, "Harbor", tags=["VIP", "roofing"])
    await customer(api, tenant.rep, "Blue Ridge", salesRepId=tenant.rep.global_id)
    await api.mutate(
        CREATE,
        {
            "input": {
                "customerId": harbor,
                "title": "Later",
                "dueOn": (today + timedelta(days=9)).isoformat(),
            }
        },
        token=tenant.rep.token,
    )
    await api.mutate(
        CREATE,
        {
            "input": {
                "customerId": harbor,
                "title": "Overdue quote",
                "dueOn": (today - timedelta(days=1)).isoformat(),
            }
        },
        token=tenant.rep.token,
    )
    await log(api, tenant.rep, harbor, "CALL", "Hi", "2026-12-01T10:00:00Z")
    columns = "name,tags,lastInteractionAt,nextTask,nextTaskDueOn"
    exported = rows(
        await get(
            api,
            "/export/customers.csv",
            tenant.rep,
            {"columns": columns, "sort": "-lastInteractionAt"},
        )
    )
    assert exported == [
        ["name", "tags", "lastInteractionAt", "nextTask", "nextTaskDueOn"],
        [
            "Harbor",
            "roofing; VIP",
            "2026-12-01T10:00:00+00:00",
            "Overdue quote",
            (today - timedelta(days=1)).isoformat(),
        ],
        ["Blue Ridge", "", "", "", ""],
    ]
    for params, expected in (
        ({"hasSalesRep": "false"}, ["Harbor"]),
        ({"hasSalesRep": "true"}, ["Blue Ridge"]),
        ({"hasOverdueTasks": "true"}, ["Harbor"]),
        ({"tag": ["vip", "nothing"]}, ["Harbor"]),
        ({"lastInteractionBefore": "2026-12-01"}, ["Blue Ridge"]),
        ({"lastInteractionBefore": "2026-12-02"}, ["Blue Ridge", "Harbor"]),
    ):
        found = rows(
            await get(api, "/export/customers.csv", tenant.rep, {"columns": "name", **params})
        )
        assert [r[0] for r in found[1:]] == expected, params
    for params, message in (
        ({"colour": "red"}, "Unknown parameter(s) colour; valid: search,"),
        ({"hasOverdueTasks": "maybe"}, "`hasOverdueTasks` must be true or false."),
        ({"lastInteractionBefore": "soon"}, "`lastInteractionBefore`: not a day"),
        ({"savedViewId": "nope"}, "Not a valid SavedView id"),
    ):
        response = await get(api, "/export/customers.csv", tenant.rep, params)
        assert response.status_code == 400, params
        error = response.json()["errors"][0]
        assert message in error["message"], error
