"""Audit events and dry runs show changes in the API's terms (resolvers/diffs.py): field
names as the API spells them, global ids with a label for references, decimal strings,
enum names; another company's names never leak into a label."""

from __future__ import annotations

from resolvers.diffs import api_field
from resolvers.ids import encode_id
from tests.test_customers import UPDATE, create_customer, terms_id

TRAIL = """query($id: ID!) { customer(id: $id) { auditEvents {
  nodes { action entityType entityId changes } } } }"""
EVENTS = """query($filter: AuditEventFilter) { auditEvents(filter: $filter) {
  nodes { action entityId changes } } }"""
BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  matchedCount updatedCount bulkOperationId changes { entityId changes }
  userErrors { code } } }"""


async def test_an_update_of_terms_and_rep_reads_back_in_api_terms(api, database, tenant):
    customer = await create_customer(api, tenant)
    net30 = await terms_id(database, tenant, "Net 30")
    due = await terms_id(database, tenant, "Due on receipt")
    first = await api.mutate(
        UPDATE,
        {
            "id": customer["id"],
            "input": {
                "paymentTermsId": net30,
                "salesRepId": tenant.rep.global_id,
                "discountPercent": "7.25",
                "billingStatus": "PAST_DUE",
                "billingAddress": {"city": "Lyon", "country": "FR"},
            },
        },
        token=tenant.admin.token,
    )
    assert first["userErrors"] == []
    second = await api.mutate(
        UPDATE,
        {
            "id": customer["id"],
            "input": {"paymentTermsId": due, "salesRepId": tenant.rep2.global_id},
        },
        token=tenant.admin.token,
    )
    assert second["userErrors"] == []

    nodes = (await api.ok(TRAIL, {"id": customer["id"]}, token=tenant.admin.token))["customer"][
        "auditEvents"
    ]["nodes"]
    assert [(n["action"], n["entityType"], n["entityId"]) for n in nodes[:2]] == [
        ("customer.update", "Customer", customer["id"]),
        ("customer.update", "Customer", customer["id"]),
    ]
    net30_ref = {"id": net30, "label": "Net 30"}
    assert nodes[0]["changes"] == {
        "paymentTerms": [net30_ref, {"id": due, "label": "Due on receipt"}],
        "salesRep": [tenant.rep.ref, tenant.rep2.ref],
    }
    assert nodes[1]["changes"]["salesRep"] == [None, tenant.rep.ref]
    assert nodes[1]["changes"]["paymentTerms"][1] == net30_ref
    assert nodes[1]["changes"]["discountPercent"] == ["0.00", "7.25"]
    assert nodes[1]["changes"]["billingStatus"] == ["GOOD_STANDING", "PAST_DUE"]
    assert nodes[1]["changes"]["billingAddress.city"] == [None, "Lyon"]
    assert nodes[1]["changes"]["billingAddress.country"] == [None, "FR"]
    # No stored column name reaches the client.
    for node in nodes:
        assert all("_" not in key for key in node["changes"]), node["changes"]

    # The root list says the same.
    root = await api.ok(EVENTS, {"filter": {"entityId": customer["id"]}}, token=tenant.admin.token)
    assert root["auditEvents"]["nodes"][0]["changes"] == nodes[0]["changes"]

    # A dry run previews in the same terms, and writes nothing.
    dry = (
        await api.ok(
            BULK,
            {
                "input": {
                    "ids": [customer["id"]],
                    "set": {
                        "paymentTermsId": net30,
                        "salesRepId": tenant.rep.global_id,
                        "creditLimit": "1500",
                    },
                    "dryRun": True,
                }
            },
            token=tenant.admin.token,
        )
    )["customersBulkUpdate"]
    assert (dry["matchedCount"], dry["updatedCount"], dry["bulkOperationId"]) == (1, 1, None)
    assert dry["changes"] == [
        {
            "entityId": customer["id"],
            "changes": {
                "salesRep": [tenant.rep2.ref, tenant.rep.ref],
                "paymentTerms": [{"id": due, "label": "Due on receipt"}, net30_ref],
                "creditLimit": [None, "1500.00"],
            },
        }
    ]
    after = (await api.ok(TRAIL, {"id": customer["id"]}, token=tenant.admin.token))["customer"]
    assert len(after["auditEvents"]["nodes"]) == len(nodes)


async def test_a_label_is_read_in_the_viewers_company_only(api, database, tenant, other_tenant):
    # A stored reference to another company's row (as after a bad import) shows no name.
    from sqlalchemy import update

    from db.models import AuditEvent

    customer = await create_customer(api, tenant)
    await api.mutate(
        UPDATE,
        {"id": customer["id"], "input": {"salesRepId": tenant.rep.global_id}},
        token=tenant.admin.token,
    )
    async with database.transaction(None) as session:
        await session.execute(
            update(AuditEvent)
            .where(
                AuditEvent.company_id == tenant.company_id, AuditEvent.action == "customer.update"
            )
            .values(changes={"sales_rep_id": [None, other_tenant.rep.id]})
        )
    nodes = (await api.ok(TRAIL, {"id": customer["id"]}, token=tenant.admin.token))["customer"][
        "auditEvents"
    ]["nodes"]
    assert nodes[0]["changes"] == {
        "salesRep": [None, {"id": encode_id("Staff", other_tenant.rep.id), "label": None}]
    }


def test_column_names_become_the_apis_field_names():
    assert [
        api_field(column, "Customer")
        for column in (
            "payment_terms_id",
            "discount_bp",
            "credit_limit_cents",
            "billing_postal_code",
            "is_primary",
            "merged_into_id",
        )
    ] == [
        "paymentTerms",
        "discountPercent",
        "creditLimit",
        "billingAddress.postalCode",
        "isPrimary",
        "mergedInto",
    ]
    assert api_field("city", "Location") == "address.city"
    assert api_field("city", "Customer") == "city"
    assert api_field("balance_due_cents", "Order") == "balanceDue"
