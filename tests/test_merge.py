"""customersMerge: a dry run that shows what moves, the merge, and its exact undo."""

from __future__ import annotations

from typing import Any

from tests.ledger_factory import make_customer, make_location, make_order, pk
from tests.orders_support import grant, make_product
from tests.test_interactions import log
from tests.test_ledger_properties import assert_reconciled

RECORD = """mutation($input: TransactionRecordInput!) { transactionRecord(input: $input) {
  transaction { id } userErrors { field code message } } }"""
CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { code } } }"""
MERGE = """mutation($input: CustomersMergeInput!) { customersMerge(input: $input) {
  customer { id name orderCount totalSales }
  bulkOperationId changes { entityType entityId label changes }
  userErrors { field message code } } }"""
REVERT = """mutation($id: ID!) { bulkOperationRevert(id: $id) {
  restoredCount skippedCount userErrors { code } } }"""
SNAPSHOT = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer {
  name status mergedInto { name } orderCount totalSales averageOrderTotal lastOrderAt
  lastInteractionAt salesRep { name }
  balance { totalInvoiced totalPaid currentBalance overdueAmount unappliedCredit }
  orders(first: 50) { nodes { number total balanceDue location { name } } }
  transactions(first: 50) { nodes { kind amount unallocatedAmount
    allocations { order { number } amount } } }
  interactions { totalCount nodes { body } }
  contacts { name isPrimary }
  locations { nodes { name orderCount totalSales } }
  attachments { filename }
} } }"""
REPORTS = """{
  salesReport(groupBy: [SALES_REP]) { rows { salesRep { name } orderCount total } }
  agingReport { rows { customer { name } current total unappliedCredit } }
  customerSummary { total byStatus { status count } }
}"""
SET_REP = """mutation($customerId: ID!, $staffId: ID) {
  customerSetSalesRep(customerId: $customerId, staffId: $staffId) { userErrors { code } } }"""


async def pay(api, tenant, customer: str, kind: str, amount: str, allocations=()) -> str:
    input: dict[str, Any] = {"customerId": customer, "kind": kind, "amount": amount}
    if kind == "PAYMENT":
        input["method"] = "CHECK"
    if allocations:
        input["allocations"] = [{"orderId": o, "amount": a} for o, a in allocations]
    payload = await api.mutate(RECORD, {"input": input}, token=tenant.manager.token)
    return payload["transaction"]["id"]


async def book(api, tenant) -> dict[str, str]:
    """Acme (the survivor), ACME Inc (its duplicate, another rep, a branch, money) and Acme
    West (a contact and a call)."""
    acme = await make_customer(api, tenant, "Acme")
    dup = await make_customer(api, tenant, "ACME Inc")
    west = await make_customer(api, tenant, "Acme West")
    for customer, rep in ((acme, tenant.rep), (dup, tenant.rep2)):
        await api.mutate(
            SET_REP, {"customerId": customer, "staffId": rep.global_id}, token=tenant.admin.token
        )
    for customer, name in ((acme, "Ann Acme"), (dup, "Dan Dup"), (west, "Wes West")):
        await api.mutate(
            CONTACT, {"input": {"customerId": customer, "name": name}}, token=tenant.manager.token
        )
    main = await make_location(api, tenant, acme, "Main")
    branch = await make_location(api, tenant, dup, "Portland branch")
    first = await make_order(api, tenant, acme, 10_000, location_gid=main)
    await pay(api, tenant, acme, "PAYMENT", "40.00", [(first, "40.00")])
    second = await make_order(api, tenant, dup, 25_000, location_gid=branch)
    await make_order(api, tenant, dup, 5_000)
    await pay(api, tenant, dup, "PAYMENT", "300.00", [(second, "250.00")])
    await pay(api, tenant, dup, "REFUND", "20.00")
    await pay(api, tenant, dup, "ADJUSTMENT", "-5.00")
    for customer, body in (
        (acme, "Acme call."),
        (dup, "Dup visit."),
        (dup, "Dup call."),
        (west, "West call."),
    ):
        await log(api, tenant.rep, customer, "CALL", body)
    product = await make_product(api, tenant, "EXCL-1", "Private label", "9.00", exclusive=True)
    await grant(api, tenant, product, [dup, west])
    return {"acme": acme, "dup": dup, "west": west, "product": product}


async def snapshot(api, tenant, ids: list[str]) -> dict[str, Any]:
    token = tenant.admin.token
    nodes = (await api.ok(SNAPSHOT, {"ids": ids}, token=token))["nodes"]
    reports = await api.ok(REPORTS, token=token)
    return {"customers": nodes, **reports}


async def test_merge_moves_everything_and_revert_restores_it_exactly(api, tenant, database):
    ids = await book(api, tenant)
    everyone = [ids["acme"], ids["dup"], ids["west"]]
    before = await snapshot(api, tenant, everyone)
    merge_input = {"survivorId": ids["acme"], "mergedIds": [ids["dup"], ids["west"]]}

    dry = await api.mutate(
        MERGE, {"input": {**merge_input, "dryRun": True}}, token=tenant.manager.token
    )
    assert dry["bulkOperationId"] is None
    assert dry["customer"] == {
        "id": ids["acme"],
        "name": "Acme",
        "orderCount": 3,
        "totalSales": "400.00",
    }
    kinds = [c["entityType"] for c in dry["changes"]]
    assert kinds == (
        ["Order"] * 2
        + ["Transaction"] * 3
        + ["Interaction"] * 3
        + ["Contact"] * 2
        + ["Location", "Customer", "Customer", "Customer"]
    )
    by_label = {c["label"]: c["changes"] for c in dry["changes"]}
    assert by_label["Dan Dup"] == {
        "customer": [
            {"id": ids["dup"], "label": "ACME Inc"},
            {"id": ids["acme"], "label": "Acme"},
        ],
        "isPrimary": [True, False],
    }
    assert by_label["Portland branch"]["customer"][1] == {"id": ids["acme"], "label": "Acme"}
    acme_was, dup_was, west_was = before["customers"]
    assert by_label["Acme"] == {
        "orderCount": [1, 3],
        "totalSales": ["100.00", "400.00"],
        "balance.totalPaid": ["40.00", "320.00"],
        "balance.currentBalance": ["60.00", "75.00"],
        "balance.unappliedCredit": ["0.00", "35.00"],
        # The duplicate ordered last, Acme West was called last.
        "lastOrderAt": [acme_was["lastOrderAt"], dup_was["lastOrderAt"]],
        "lastInteractionAt": [acme_was["lastInteractionAt"], west_was["lastInteractionAt"]],
    }
    assert by_label["ACME Inc"]["status"] == ["ACTIVE", "ARCHIVED"]
    assert by_label["ACME Inc"]["mergedInto"] == [None, {"id": ids["acme"], "label": "Acme"}]
    assert by_label["ACME Inc"]["orderCount"] == [2, 0]
    # A dry run writes nothing.
    assert await snapshot(api, tenant, everyone) == before

    merged = await api.mutate(MERGE, {"input": merge_input}, token=tenant.manager.token)
    assert merged["bulkOperationId"] is not None
    assert [c["changes"] for c in merged["changes"]] == [c["changes"] for c in dry["changes"]]
    after = await snapshot(api, tenant, everyone)
    acme, dup, west = after["customers"]
    assert (acme["orderCount"], acme["totalSales"]) == (3, "400.00")
    assert acme["balance"] == {
        "totalInvoiced": "400.00",
        "totalPaid": "320.00",
        "currentBalance": "75.00",
        "overdueAmount": "0.00",
        "unappliedCredit": "35.00",
    }
    assert sorted(o["number"] for o in acme["orders"]["nodes"]) == [1001, 1002, 1003]
    assert acme["interactions"]["totalCount"] == 4
    assert acme["contacts"] == [
        {"name": "Ann Acme", "isPrimary": True},
        {"name": "Dan Dup", "isPrimary": False},
        {"name": "Wes West", "isPrimary": False},
    ]
    assert [loc["name"] for loc in acme["locations"]["nodes"]] == ["Main", "Portland branch"]
    for gone in (dup, west):
        assert gone["status"] == "ARCHIVED"
        assert gone["mergedInto"] == {"name": "Acme"}
        assert (gone["orderCount"], gone["interactions"]["totalCount"], gone["contacts"]) == (
            0,
            0,
            [],
        )
        assert gone["balance"]["currentBalance"] == "0.00"
    # The sales report follows the orders to Acme's rep.
    assert [
        (r["salesRep"]["name"][:4], r["orderCount"], r["total"])
        for r in after["salesReport"]["rows"]
    ] == [("Rep ", 3, "400.00")]
    exclusive = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { exclusiveCustomers { name } } } }",
        {"id": ids["product"]},
        token=tenant.admin.token,
    )
    assert exclusive["node"]["exclusiveCustomers"] == [{"name": "Acme"}]
    for customer in everyone:
        await assert_reconciled(database, tenant.company_id, pk(customer))

    reverted = await api.mutate(REVERT, {"id": merged["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (11, 0)
    assert await snapshot(api, tenant, everyone) == before
    exclusive = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { exclusiveCustomers { name } } } }",
        {"id": ids["product"]},
        token=tenant.admin.token,
    )
    assert exclusive["node"]["exclusiveCustomers"] == [{"name": "ACME Inc"}, {"name": "Acme West"}]
    for customer in everyone:
        await assert_reconciled(database, tenant.company_id, pk(customer))
    again = await api.ok(REVERT, {"id": merged["bulkOperationId"]}, token=tenant.admin.token)
    assert again["bulkOperationRevert"]["userErrors"] == [{"code": "ALREADY_REVERTED"}]


async def test_bad_merges_are_refused_and_write_nothing(api, tenant, other_tenant):
    acme = await make_customer(api, tenant, "Acme")
    dup = await make_customer(api, tenant, "Acme Dup")
    theirs = await make_customer(api, other_tenant, "Theirs")
    token = tenant.manager.token

    async def errors(survivor, merged, member=tenant.manager):
        body = await api.ok(
            MERGE, {"input": {"survivorId": survivor, "mergedIds": merged}}, token=member.token
        )
        return [(e["field"], e["code"]) for e in body["customersMerge"]["userErrors"]]

    assert await errors(acme, []) == [(["input", "mergedIds"], "REQUIRED")]
    assert await errors(acme, [acme]) == [(["input", "mergedIds"], "INVALID")]
    assert await errors(acme, [theirs]) == [(["input", "mergedIds", "0"], "NOT_FOUND")]
    assert await errors(acme, [dup] * 11) == [(["input", "mergedIds"], "OUT_OF_RANGE")]
    assert await errors(acme, ["bogus"]) == [(["input", "mergedIds", "0"], "INVALID_ID")]
    body = await api.gql(
        MERGE, {"input": {"survivorId": acme, "mergedIds": [dup]}}, token=tenant.rep.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await api.mutate(MERGE, {"input": {"survivorId": acme, "mergedIds": [dup]}}, token=token)
    assert await errors(acme, [dup]) == [(["input", "mergedIds", "0"], "INVALID")]
    assert await errors(dup, [acme]) == [(["input", "survivorId"], "INVALID")]


async def test_tasks_move_with_the_merge_and_back(api, tenant):
    acme = await make_customer(api, tenant, "Acme")
    dup = await make_customer(api, tenant, "Acme Dup")
    await api.mutate(
        """mutation($input: TaskCreateInput!) { taskCreate(input: $input) {
          task { id } userErrors { code } } }""",
        {"input": {"customerId": dup, "title": "Call back about the order"}},
        token=tenant.manager.token,
    )
    tasks = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer {
      tasks { totalCount nodes { title } } } } }"""
    before = await api.ok(tasks, {"ids": [acme, dup]}, token=tenant.admin.token)
    merged = await api.mutate(
        MERGE, {"input": {"survivorId": acme, "mergedIds": [dup]}}, token=tenant.manager.token
    )
    assert [c["label"] for c in merged["changes"] if c["entityType"] == "Task"] == [
        "Call back about the order"
    ]
    after = await api.ok(tasks, {"ids": [acme, dup]}, token=tenant.admin.token)
    assert [n["tasks"]["totalCount"] for n in after["nodes"]] == [1, 0]
    await api.mutate(REVERT, {"id": merged["bulkOperationId"]}, token=tenant.admin.token)
    assert await api.ok(tasks, {"ids": [acme, dup]}, token=tenant.admin.token) == before


TAGS = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { name tags } } }"""


async def test_tags_merge_into_a_union_and_revert_gives_each_its_own(api, tenant, other_tenant):
    acme = await make_customer(api, tenant, "Acme", tags=["VIP", "wholesale"])
    dup = await make_customer(api, tenant, "ACME Inc", tags=["vip", "Portland", "net-30"])
    west = await make_customer(api, tenant, "Acme West", tags=["portland", "Key"])
    bare = await make_customer(api, tenant, "Acme Bare")
    stranger = await make_customer(api, other_tenant, "Acme", tags=["VIP"])
    ids = [acme, dup, west, bare]

    async def tags() -> list[tuple[str, list[str]]]:
        nodes = (await api.ok(TAGS, {"ids": ids}, token=tenant.admin.token))["nodes"]
        return [(n["name"], n["tags"]) for n in nodes]

    before = [
        ("Acme", ["VIP", "wholesale"]),
        ("ACME Inc", ["net-30", "Portland", "vip"]),
        ("Acme West", ["Key", "portland"]),
        ("Acme Bare", []),
    ]
    assert await tags() == before
    merged = await api.mutate(
        MERGE,
        {"input": {"survivorId": acme, "mergedIds": [dup, west, bare]}},
        token=tenant.manager.token,
    )
    assert merged["userErrors"] == []
    survivor_tags = ["Key", "net-30", "Portland", "VIP", "wholesale"]
    changed = {c["label"]: c["changes"].get("tags") for c in merged["changes"]}
    assert changed["Acme"] == [["VIP", "wholesale"], survivor_tags]
    assert changed["ACME Inc"] == [["net-30", "Portland", "vip"], []]
    assert changed["Acme West"] == [["Key", "portland"], []]
    assert changed["Acme Bare"] is None
    assert await tags() == [
        ("Acme", survivor_tags),
        ("ACME Inc", []),
        ("Acme West", []),
        ("Acme Bare", []),
    ]
    # The union is what filters see: one Acme tagged VIP in the company, not three.
    vip = await api.ok(
        """{ customers(first: 10, filter: {tags: ["vip"]}) { nodes { name } } }""",
        token=tenant.admin.token,
    )
    assert [n["name"] for n in vip["customers"]["nodes"]] == ["Acme"]
    reverted = await api.mutate(REVERT, {"id": merged["bulkOperationId"]}, token=tenant.admin.token)
    assert reverted["userErrors"] == []
    assert await tags() == before
    other = await api.ok(TAGS, {"ids": [stranger]}, token=other_tenant.admin.token)
    assert other["nodes"] == [{"name": "Acme", "tags": ["VIP"]}]


async def test_a_tag_added_again_after_the_merge_is_not_doubled_by_the_revert(api, tenant):
    acme = await make_customer(api, tenant, "Acme", tags=["VIP"])
    dup = await make_customer(api, tenant, "Acme Dup", tags=["vip", "Key"])
    merged = await api.mutate(
        MERGE, {"input": {"survivorId": acme, "mergedIds": [dup]}}, token=tenant.manager.token
    )
    await api.mutate(
        """mutation($id: ID!, $input: CustomerUpdateInput!) {
          customerUpdate(id: $id, input: $input) { userErrors { code } } }""",
        {"id": acme, "input": {"tags": ["VIP"]}},
        token=tenant.admin.token,
    )
    await api.mutate(REVERT, {"id": merged["bulkOperationId"]}, token=tenant.admin.token)
    nodes = (await api.ok(TAGS, {"ids": [acme, dup]}, token=tenant.admin.token))["nodes"]
    # Key was removed from the survivor since: it is gone, not resurrected on the survivor;
    # the dropped "vip" comes back to the merged customer as it was spelled.
    assert nodes == [{"name": "Acme", "tags": ["VIP"]}, {"name": "Acme Dup", "tags": ["vip"]}]
