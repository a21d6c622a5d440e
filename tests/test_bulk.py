"""customersBulkUpdate by ids: dry runs, validation, audit per changed row, revert."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from db.enums import BillingStatus
from db.models import Customer, Location, PaymentTerms
from db.session import Database
from resolvers.ids import decode_id, encode_id
from resolvers.text import name_key
from tests.conftest import Tenant

BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  matchedCount updatedCount bulkOperationId changes { entityId changes }
  bulkOperation { id entityType matchedCount updatedCount revertedAt actor { id } }
  userErrors { field code message } } }"""

REVERT = """mutation($id: ID!) { bulkOperationRevert(id: $id) {
  restoredCount skippedCount skippedIds bulkOperation { id revertedAt revertedBy { id } }
  userErrors { field code message } } }"""

STATE = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer {
  name version billingStatus basisDate salesRep { id } paymentTerms { name } } } }"""

AUDIT_COUNT = """query($filter: AuditEventFilter) { auditEvents(filter: $filter) { totalCount } }"""


async def add_customers(
    database: Database, tenant: Tenant, names: list[str], **values: Any
) -> list[str]:
    """Customers straight into the database (their mutations live on another branch)."""
    async with database.transaction(None) as session:
        result = await session.execute(
            insert(Customer).returning(Customer.id),
            [
                {"company_id": tenant.company_id, "name": n, "name_key": name_key(n), **values}
                for n in names
            ],
        )
        ids = sorted(result.scalars())
    return [encode_id("Customer", pk) for pk in ids]


async def add_locations(
    database: Database, tenant: Tenant, customer_id: str, names: list[str], **values: Any
) -> list[str]:
    _, pk = decode_id(customer_id)
    async with database.transaction(None) as session:
        result = await session.execute(
            insert(Location).returning(Location.id),
            [
                {
                    "company_id": tenant.company_id,
                    "customer_id": pk,
                    "name": n,
                    "name_key": name_key(n),
                    **values,
                }
                for n in names
            ],
        )
        ids = sorted(result.scalars())
    return [encode_id("Location", pk) for pk in ids]


async def terms_id(database: Database, tenant: Tenant, name: str) -> int:
    async with database.transaction(None) as session:
        return await session.scalar(
            select(PaymentTerms.id).where(
                PaymentTerms.company_id == tenant.company_id, PaymentTerms.name == name
            )
        )


async def state(api, ids: list[str], token: str) -> list[dict[str, Any]]:
    return (await api.ok(STATE, {"ids": ids}, token=token))["nodes"]


async def audit_count(api, token: str, **filter: Any) -> int:
    return (await api.ok(AUDIT_COUNT, {"filter": filter}, token=token))["auditEvents"]["totalCount"]


async def test_dry_run_reports_and_writes_nothing(api, database, tenant):
    ids = await add_customers(database, tenant, ["Acme", "Bolt", "Crane"])
    await add_customers(database, tenant, ["Untouched"])
    rep = tenant.rep
    # Crane already has the rep: matched but not changed.
    async with database.transaction(None) as session:
        await session.execute(
            Customer.__table__.update()
            .where(Customer.name == "Crane", Customer.company_id == tenant.company_id)
            .values(sales_rep_id=rep.id)
        )
    before = await state(api, ids, tenant.admin.token)
    result = await api.mutate(
        BULK,
        {"input": {"ids": ids, "set": {"salesRepId": rep.global_id}, "dryRun": True}},
        token=tenant.manager.token,
    )
    assert result["matchedCount"] == 3
    assert result["updatedCount"] == 2
    assert result["bulkOperationId"] is None
    assert result["bulkOperation"] is None
    assert result["changes"] == [
        {"entityId": ids[0], "changes": {"salesRep": [None, rep.ref]}},
        {"entityId": ids[1], "changes": {"salesRep": [None, rep.ref]}},
    ]
    assert await state(api, ids, tenant.admin.token) == before
    assert [row["version"] for row in before] == [1, 1, 1]
    assert await audit_count(api, tenant.admin.token) == 0


async def test_bulk_update_by_ids_writes_one_audit_event_per_changed_row(api, database, tenant):
    ids = await add_customers(database, tenant, ["Acme", "Bolt", "Crane"])
    net30 = await terms_id(database, tenant, "Net 30")
    async with database.transaction(None) as session:
        await session.execute(
            Customer.__table__.update()
            .where(Customer.name == "Bolt", Customer.company_id == tenant.company_id)
            .values(billing_status=BillingStatus.CREDIT_HOLD, payment_terms_id=net30)
        )
    result = await api.mutate(
        BULK,
        {
            "input": {
                "ids": ids,
                "set": {
                    "billingStatus": "CREDIT_HOLD",
                    "paymentTermsId": encode_id("PaymentTerms", net30),
                    "basisDate": "INVOICE_DATE",
                },
            }
        },
        token=tenant.admin.token,
    )
    # Bolt already had every value; basisDate INVOICE_DATE is everyone's default.
    assert (result["matchedCount"], result["updatedCount"]) == (3, 2)
    operation = result["bulkOperation"]
    assert operation["id"] == result["bulkOperationId"]
    assert operation["entityType"] == "Customer"
    assert (operation["matchedCount"], operation["updatedCount"]) == (3, 2)
    assert operation["actor"] == {"id": tenant.admin.global_id}
    assert operation["revertedAt"] is None

    rows = await state(api, ids, tenant.admin.token)
    assert [(r["name"], r["version"], r["billingStatus"]) for r in rows] == [
        ("Acme", 2, "CREDIT_HOLD"),
        ("Bolt", 1, "CREDIT_HOLD"),
        ("Crane", 2, "CREDIT_HOLD"),
    ]
    assert {r["paymentTerms"]["name"] for r in rows} == {"Net 30"}

    events = await api.ok(
        """query($filter: AuditEventFilter) { auditEvents(filter: $filter) {
             nodes { action entityType entityId changes bulkOperationId actor { id } } } }""",
        {"filter": {"bulkOperationId": result["bulkOperationId"]}},
        token=tenant.admin.token,
    )
    expected_changes = {
        "billingStatus": ["GOOD_STANDING", "CREDIT_HOLD"],
        "paymentTerms": [None, {"id": encode_id("PaymentTerms", net30), "label": "Net 30"}],
    }
    assert events["auditEvents"]["nodes"] == [
        {
            "action": "customer.bulk_update",
            "entityType": "Customer",
            "entityId": entity,
            "changes": expected_changes,
            "bulkOperationId": result["bulkOperationId"],
            "actor": {"id": tenant.admin.global_id},
        }
        for entity in (ids[2], ids[0])
    ]
    trail = await api.ok(
        """query($id: ID!) { customer(id: $id) { auditEvents { totalCount nodes { action changes } } } }""",
        {"id": ids[0]},
        token=tenant.rep.token,
    )
    assert trail["customer"]["auditEvents"] == {
        "totalCount": 1,
        "nodes": [{"action": "customer.bulk_update", "changes": expected_changes}],
    }


async def test_clear_sales_rep(api, database, tenant):
    ids = await add_customers(database, tenant, ["Acme", "Bolt"], sales_rep_id=tenant.rep.id)
    result = await api.mutate(
        BULK, {"input": {"ids": ids[:1], "set": {"clearSalesRep": True}}}, token=tenant.admin.token
    )
    assert result["updatedCount"] == 1
    rows = await state(api, ids, tenant.admin.token)
    assert [r["salesRep"] for r in rows] == [None, {"id": tenant.rep.global_id}]


async def test_bad_input_is_refused_and_writes_nothing(api, database, tenant, other_tenant):
    ids = await add_customers(database, tenant, ["Acme", "Bolt"])
    theirs = await add_customers(database, other_tenant, ["Theirs"])
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             staff { id } userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    before = await state(api, ids, tenant.admin.token)
    events_before = await audit_count(api, tenant.admin.token)
    cases = [
        (
            {"ids": ids, "set": {"salesRepId": tenant.rep2.global_id}},
            [["input", "set", "salesRepId"]],
            ["INACTIVE_STAFF"],
        ),
        (
            {"ids": ids, "set": {"salesRepId": other_tenant.rep.global_id}},
            [["input", "set", "salesRepId"]],
            ["NOT_FOUND"],
        ),
        (
            {"ids": ids, "set": {"paymentTermsId": encode_id("PaymentTerms", 10**9)}},
            [["input", "set", "paymentTermsId"]],
            ["NOT_FOUND"],
        ),
        ({"ids": ids, "set": {}}, [["input", "set"]], ["REQUIRED"]),
        (
            {"ids": ids, "set": {"salesRepId": tenant.rep.global_id, "clearSalesRep": True}},
            [["input", "set"]],
            ["INVALID"],
        ),
        ({"set": {"billingStatus": "PAST_DUE"}}, [["input"]], ["INVALID"]),
        ({"ids": [], "set": {"billingStatus": "PAST_DUE"}}, [["input", "ids"]], ["REQUIRED"]),
        (
            {"ids": [ids[0], tenant.rep.global_id], "set": {"billingStatus": "PAST_DUE"}},
            [["input", "ids", "1"]],
            ["INVALID_ID"],
        ),
        # Another company's customer is simply not found; nothing of ours changes either.
        (
            {"ids": [ids[0], *theirs], "set": {"billingStatus": "PAST_DUE"}},
            [["input", "ids", "1"]],
            ["NOT_FOUND"],
        ),
    ]
    for input, fields, codes in cases:
        data = await api.ok(BULK, {"input": input}, token=tenant.admin.token)
        payload = data["customersBulkUpdate"]
        assert [e["field"] for e in payload["userErrors"]] == fields, input
        assert [e["code"] for e in payload["userErrors"]] == codes, input
        assert payload["bulkOperationId"] is None
        assert (payload["matchedCount"], payload["updatedCount"]) == (0, 0)
    assert await state(api, ids, tenant.admin.token) == before
    # Only the staff deactivation above was audited.
    assert await audit_count(api, tenant.admin.token) == events_before
    assert (await state(api, theirs, other_tenant.admin.token))[0]["billingStatus"] == (
        "GOOD_STANDING"
    )
    assert await audit_count(api, other_tenant.admin.token) == 0


async def test_reps_may_not_bulk_update_or_revert(api, database, tenant):
    ids = await add_customers(database, tenant, ["Acme"])
    body = await api.gql(
        BULK, {"input": {"ids": ids, "set": {"billingStatus": "PAST_DUE"}}}, token=tenant.rep.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await api.mutate(
        BULK,
        {"input": {"ids": ids, "set": {"billingStatus": "PAST_DUE"}}},
        token=tenant.manager.token,
    )
    body = await api.gql(REVERT, {"id": done["bulkOperationId"]}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await state(api, ids, tenant.admin.token))[0]["billingStatus"] == "PAST_DUE"


async def test_revert_restores_untouched_rows_and_skips_changed_ones(api, database, tenant):
    ids = await add_customers(database, tenant, ["Acme", "Bolt", "Crane"])
    first = await api.mutate(
        BULK,
        {
            "input": {
                "ids": ids,
                "set": {"salesRepId": tenant.rep.global_id, "basisDate": "ORDER_DATE"},
            }
        },
        token=tenant.admin.token,
    )
    # Bolt changes again afterwards: the revert must leave it alone.
    await api.mutate(
        BULK,
        {"input": {"ids": [ids[1]], "set": {"billingStatus": "PAST_DUE"}}},
        token=tenant.admin.token,
    )
    reverted = await api.mutate(
        REVERT, {"id": first["bulkOperationId"]}, token=tenant.manager.token
    )
    assert reverted["restoredCount"] == 2
    assert reverted["skippedCount"] == 1
    assert reverted["skippedIds"] == [ids[1]]
    assert reverted["bulkOperation"]["id"] == first["bulkOperationId"]
    assert reverted["bulkOperation"]["revertedAt"] is not None
    assert reverted["bulkOperation"]["revertedBy"] == {"id": tenant.manager.global_id}

    rows = await state(api, ids, tenant.admin.token)
    assert [(r["name"], r["version"], r["salesRep"], r["basisDate"]) for r in rows] == [
        ("Acme", 3, None, "INVOICE_DATE"),
        ("Bolt", 3, {"id": tenant.rep.global_id}, "ORDER_DATE"),
        ("Crane", 3, None, "INVOICE_DATE"),
    ]
    events = await api.ok(
        """query($filter: AuditEventFilter) { auditEvents(filter: $filter) {
             nodes { action entityId changes actor { id } } } }""",
        {"filter": {"bulkOperationId": first["bulkOperationId"]}},
        token=tenant.admin.token,
    )
    reverts = [n for n in events["auditEvents"]["nodes"] if n["action"] == "customer.bulk_revert"]
    assert sorted(reverts, key=lambda n: n["entityId"]) == sorted(
        [
            {
                "action": "customer.bulk_revert",
                "entityId": entity,
                "changes": {
                    "salesRep": [tenant.rep.ref, None],
                    "basisDate": ["ORDER_DATE", "INVOICE_DATE"],
                },
                "actor": {"id": tenant.manager.global_id},
            }
            for entity in (ids[0], ids[2])
        ],
        key=lambda n: n["entityId"],
    )

    again = await api.ok(REVERT, {"id": first["bulkOperationId"]}, token=tenant.admin.token)
    assert again["bulkOperationRevert"]["userErrors"][0]["code"] == "ALREADY_REVERTED"
    assert again["bulkOperationRevert"]["userErrors"][0]["field"] == ["id"]
    assert await state(api, ids, tenant.admin.token) == rows


async def test_revert_of_another_companys_operation_is_not_found(
    api, database, tenant, other_tenant
):
    theirs = await add_customers(database, other_tenant, ["Theirs"])
    done = await api.mutate(
        BULK,
        {"input": {"ids": theirs, "set": {"billingStatus": "PAST_DUE"}}},
        token=other_tenant.admin.token,
    )
    body = await api.ok(REVERT, {"id": done["bulkOperationId"]}, token=tenant.admin.token)
    assert body["bulkOperationRevert"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await state(api, theirs, other_tenant.admin.token))[0]["billingStatus"] == "PAST_DUE"


async def test_bulk_update_and_audit_list_run_a_constant_number_of_statements(
    api, database, tenant
):
    counts = []
    for size in (10, 150):
        ids = await add_customers(database, tenant, [f"C{size}-{i}" for i in range(size)])
        await api.mutate(
            BULK,
            {"input": {"ids": ids, "set": {"salesRepId": tenant.rep.global_id}}},
            token=tenant.admin.token,
        )
        counts.append(api.last_statements)
    assert counts[0] == counts[1]

    listed = []
    for size in (10, 150):
        data = await api.ok(
            """query($first: Int) { auditEvents(first: $first) {
                 nodes { entityId changes actor { name } } } }""",
            {"first": size},
            token=tenant.admin.token,
        )
        assert len(data["auditEvents"]["nodes"]) == size
        listed.append(api.last_statements)
    assert listed[0] == listed[1]
