"""Customer profile: create, read, update (STALE), archive, delete, validation, audit."""

from __future__ import annotations

from sqlalchemy import func, select

from db.enums import OrderStatus, TransactionKind
from db.models import (
    AuditEvent,
    Contact,
    Customer,
    Location,
    Order,
    PaymentTerms,
    Transaction,
)
from resolvers.ids import encode_id

PROFILE = """
  id kind name email phone mobile fax website discountPercent status billingStatus
  paymentTerms { name dueInDays } basisDate salesRep { id name } defaultShippingMethod
  productDisplay allowPartialPayments partialPaymentsAllowed
  billingAddress { line1 line2 city region postalCode country }
  shippingAddress { line1 city country } version
"""
CREATE = (
    "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer {"
    + PROFILE
    + "} userErrors { field message code } } }"
)
UPDATE = (
    "mutation($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, input: $input) {"
    " customer {" + PROFILE + "} userErrors { field message code } } }"
)
ARCHIVE = """mutation($id: ID!) { customerArchive(id: $id) {
  customer { id status } userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { customerDelete(id: $id) {
  deletedId userErrors { field message code } } }"""
GET = "query($id: ID!) { customer(id: $id) {" + PROFILE + "} }"


async def terms_id(database, tenant, name: str) -> str:
    async with database.transaction(None) as session:
        pk = await session.scalar(
            select(PaymentTerms.id).where(
                PaymentTerms.company_id == tenant.company_id, PaymentTerms.name == name
            )
        )
    return encode_id("PaymentTerms", pk)


async def create_customer(api, tenant, **fields) -> dict:
    payload = await api.mutate(
        CREATE, {"input": {"name": "Acme", **fields}}, token=tenant.rep.token
    )
    return payload["customer"]


async def count_customers(database, company_id: int) -> int:
    async with database.transaction(None) as session:
        return await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.company_id == company_id)
        )


async def audit_actions(database, company_id: int) -> list[tuple[str, dict]]:
    async with database.transaction(None) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.changes, AuditEvent.customer_id)
            .where(AuditEvent.company_id == company_id, AuditEvent.entity_type == "Customer")
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


async def test_create_with_every_field_and_read_back(api, tenant, database):
    net30 = await terms_id(database, tenant, "Net 30")
    full = {
        "name": "  Café Olé  ",
        "kind": "INDIVIDUAL",
        "email": "Owner@Cafe-Ole.example",
        "phone": "+1 (555) 010-2000",
        "mobile": "555-010-3000",
        "fax": "555 010 4000",
        "website": "https://cafe-ole.example/shop",
        "discountPercent": "12.5",
        "status": "PROSPECT",
        "billingStatus": "PREPAY_ONLY",
        "paymentTermsId": net30,
        "basisDate": "DELIVERY_DATE",
        "salesRepId": tenant.rep.global_id,
        "defaultShippingMethod": "FREIGHT",
        "productDisplay": "EXCLUSIVE_ONLY",
        "allowPartialPayments": False,
        "billingAddress": {
            "line1": "1 Main St",
            "line2": "Suite 2",
            "city": "Springfield",
            "region": "IL",
            "postalCode": "62701",
            "country": "us",
        },
        "shippingAddress": {"line1": "9 Dock Rd", "city": "Springfield", "country": "US"},
    }
    created = (await api.mutate(CREATE, {"input": full}, token=tenant.rep.token))["customer"]
    expected = {
        "id": created["id"],
        "kind": "INDIVIDUAL",
        "name": "Café Olé",
        "email": "owner@cafe-ole.example",
        "phone": "+1 (555) 010-2000",
        "mobile": "555-010-3000",
        "fax": "555 010 4000",
        "website": "https://cafe-ole.example/shop",
        "discountPercent": "12.50",
        "status": "PROSPECT",
        "billingStatus": "PREPAY_ONLY",
        "paymentTerms": {"name": "Net 30", "dueInDays": 30},
        "basisDate": "DELIVERY_DATE",
        "salesRep": {"id": tenant.rep.global_id, "name": created["salesRep"]["name"]},
        "defaultShippingMethod": "FREIGHT",
        "productDisplay": "EXCLUSIVE_ONLY",
        "allowPartialPayments": False,
        "partialPaymentsAllowed": False,
        "billingAddress": {
            "line1": "1 Main St",
            "line2": "Suite 2",
            "city": "Springfield",
            "region": "IL",
            "postalCode": "62701",
            "country": "US",
        },
        "shippingAddress": {"line1": "9 Dock Rd", "city": "Springfield", "country": "US"},
        "version": 1,
    }
    assert created == expected
    assert created["salesRep"]["name"].startswith("Rep ")
    read = (await api.ok(GET, {"id": created["id"]}, token=tenant.manager.token))["customer"]
    assert read == expected
    async with database.transaction(None) as session:
        key = await session.scalar(select(Customer.name_key).where(Customer.name == "Café Olé"))
    assert key == "cafe ole"


async def test_defaults_of_a_minimal_customer(api, tenant):
    created = await create_customer(api, tenant)
    assert created["kind"] == "BUSINESS"
    assert created["status"] == "ACTIVE"
    assert created["billingStatus"] == "GOOD_STANDING"
    assert created["basisDate"] == "INVOICE_DATE"
    assert created["discountPercent"] == "0.00"
    assert created["allowPartialPayments"] is None
    # The company default (allow) applies.
    assert created["partialPaymentsAllowed"] is True
    assert created["salesRep"] is None
    assert created["paymentTerms"] is None
    assert created["billingAddress"] is None


async def test_bad_input_is_user_errors_and_writes_nothing(api, tenant, other_tenant, database):
    theirs = await terms_id(database, other_tenant, "Net 30")
    body = await api.ok(
        CREATE,
        {
            "input": {
                "name": "   ",
                "email": "not-an-email",
                "phone": "12",
                "website": "not a website",
                "discountPercent": "12.345",
                "paymentTermsId": theirs,
                "salesRepId": other_tenant.rep.global_id,
                "billingAddress": {"country": "USA"},
            }
        },
        token=tenant.rep.token,
    )
    errors = body["customerCreate"]["userErrors"]
    assert body["customerCreate"]["customer"] is None
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "name"], "REQUIRED"),
        (["input", "email"], "INVALID"),
        (["input", "phone"], "INVALID"),
        (["input", "website"], "INVALID"),
        (["input", "discountPercent"], "INVALID"),
        (["input", "billingAddress", "country"], "TOO_LONG"),
        (["input", "paymentTermsId"], "NOT_FOUND"),
        (["input", "salesRepId"], "NOT_FOUND"),
    ]
    assert errors[4]["message"] == "Percentage may have at most 2 decimals."
    over = await api.ok(
        CREATE, {"input": {"name": "X", "discountPercent": "100.01"}}, token=tenant.rep.token
    )
    assert over["customerCreate"]["userErrors"] == [
        {
            "field": ["input", "discountPercent"],
            "message": "Percentage must be at most 100.",
            "code": "OUT_OF_RANGE",
        }
    ]
    bad_id = await api.ok(
        CREATE, {"input": {"name": "X", "salesRepId": "garbage"}}, token=tenant.rep.token
    )
    assert bad_id["customerCreate"]["userErrors"][0]["code"] == "INVALID_ID"
    assert await count_customers(database, tenant.company_id) == 0
    assert await audit_actions(database, tenant.company_id) == []


async def test_inactive_staff_cannot_be_rep(api, tenant, database):
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             staff { id } userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    body = await api.ok(
        CREATE,
        {"input": {"name": "X", "salesRepId": tenant.rep2.global_id}},
        token=tenant.rep.token,
    )
    (error,) = body["customerCreate"]["userErrors"]
    assert error["code"] == "INACTIVE_STAFF"
    assert error["field"] == ["input", "salesRepId"]
    assert "inactive" in error["message"]
    assert await count_customers(database, tenant.company_id) == 0


async def test_update_changes_given_fields_clears_nulls_and_audits(api, tenant, database):
    created = await create_customer(
        api,
        tenant,
        email="a@acme.example",
        salesRepId=tenant.rep.global_id,
        billingAddress={"line1": "1 Main", "city": "Town"},
    )
    updated = await api.mutate(
        UPDATE,
        {
            "id": created["id"],
            "input": {
                "name": "Acme Corp",
                "email": None,
                "salesRepId": tenant.rep2.global_id,
                "discountPercent": "7.25",
                "billingAddress": None,
                "expectedVersion": 1,
            },
        },
        token=tenant.rep.token,
    )
    customer = updated["customer"]
    assert customer["name"] == "Acme Corp"
    assert customer["email"] is None
    assert customer["salesRep"]["id"] == tenant.rep2.global_id
    assert customer["discountPercent"] == "7.25"
    assert customer["billingAddress"] is None
    assert customer["version"] == 2
    cleared = await api.mutate(
        UPDATE, {"id": created["id"], "input": {"salesRepId": None}}, token=tenant.rep.token
    )
    assert cleared["customer"]["salesRep"] is None
    assert cleared["customer"]["name"] == "Acme Corp"

    events = await audit_actions(database, tenant.company_id)
    pk = await customer_pk(database, "Acme Corp", tenant)
    assert [e[0] for e in events] == ["customer.create", "customer.update", "customer.update"]
    assert all(e[2] == pk for e in events)
    assert events[1][1] == {
        "name": ["Acme", "Acme Corp"],
        "email": ["a@acme.example", None],
        "sales_rep_id": [tenant.rep.id, tenant.rep2.id],
        "discount_bp": [0, 725],
        "billing_line1": ["1 Main", None],
        "billing_city": ["Town", None],
    }
    assert events[2][1] == {"sales_rep_id": [tenant.rep2.id, None]}


async def test_stale_update_is_refused_and_writes_nothing(api, tenant):
    created = await create_customer(api, tenant)
    await api.mutate(
        UPDATE, {"id": created["id"], "input": {"name": "First"}}, token=tenant.rep.token
    )
    body = await api.ok(
        UPDATE,
        {"id": created["id"], "input": {"name": "Second", "expectedVersion": 1}},
        token=tenant.rep.token,
    )
    assert body["customerUpdate"]["customer"] is None
    (error,) = body["customerUpdate"]["userErrors"]
    assert (error["field"], error["code"]) == (["input", "expectedVersion"], "STALE")
    read = (await api.ok(GET, {"id": created["id"]}, token=tenant.rep.token))["customer"]
    assert (read["name"], read["version"]) == ("First", 2)


async def test_update_bad_input_writes_nothing(api, tenant):
    created = await create_customer(api, tenant, email="keep@acme.example")
    body = await api.ok(
        UPDATE,
        {"id": created["id"], "input": {"email": "nope", "name": "Renamed", "kind": None}},
        token=tenant.rep.token,
    )
    assert [(e["field"], e["code"]) for e in body["customerUpdate"]["userErrors"]] == [
        (["input", "email"], "INVALID"),
        (["input", "kind"], "REQUIRED"),
    ]
    read = (await api.ok(GET, {"id": created["id"]}, token=tenant.rep.token))["customer"]
    assert (read["name"], read["email"], read["version"]) == ("Acme", "keep@acme.example", 1)


async def test_archive_hides_from_default_list(api, tenant, database):
    kept = await create_customer(api, tenant, name="Kept")
    gone = await create_customer(api, tenant, name="Gone")
    archived = await api.mutate(ARCHIVE, {"id": gone["id"]}, token=tenant.rep.token)
    assert archived["customer"] == {"id": gone["id"], "status": "ARCHIVED"}
    listing = "query($f: CustomerFilter) { customers(filter: $f) { totalCount nodes { name } } }"
    default = (await api.ok(listing, token=tenant.rep.token))["customers"]
    assert default == {"totalCount": 1, "nodes": [{"name": "Kept"}]}
    only_archived = (
        await api.ok(listing, {"f": {"statuses": ["ARCHIVED"]}}, token=tenant.rep.token)
    )["customers"]
    assert only_archived == {"totalCount": 1, "nodes": [{"name": "Gone"}]}
    both = (
        await api.ok(listing, {"f": {"statuses": ["ACTIVE", "ARCHIVED"]}}, token=tenant.rep.token)
    )["customers"]
    assert [n["name"] for n in both["nodes"]] == ["Gone", "Kept"]
    # Archived, not gone: still readable by id.
    read = (await api.ok(GET, {"id": gone["id"]}, token=tenant.rep.token))["customer"]
    assert read["status"] == "ARCHIVED"
    assert kept["status"] == "ACTIVE"
    events = await audit_actions(database, tenant.company_id)
    assert events[-1][:2] == ("customer.archive", {"status": ["ACTIVE", "ARCHIVED"]})


async def test_delete_needs_manager_and_no_orders(api, tenant, database):
    plain = await create_customer(api, tenant, name="Plain")
    with_order = await create_customer(api, tenant, name="Buyer")
    payer = await create_customer(api, tenant, name="Payer")
    # Its location and contact go with it.
    await api.mutate(
        """mutation($c: ID!) { locationCreate(input: {customerId: $c, name: "Shop"}) {
             location { id } userErrors { code } } }""",
        {"c": plain["id"]},
        token=tenant.rep.token,
    )
    await api.mutate(
        """mutation($c: ID!) { contactCreate(input: {customerId: $c, name: "Pat"}) {
             contact { id } userErrors { code } } }""",
        {"c": plain["id"]},
        token=tenant.rep.token,
    )
    body = await api.gql(DELETE, {"id": plain["id"]}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # orderCreate and transactionRecord are other engineers' work: rows go in directly.
    buyer_pk = await customer_pk(database, "Buyer", tenant)
    payer_pk = await customer_pk(database, "Payer", tenant)
    async with database.transaction(None) as session:
        session.add(
            Transaction(
                company_id=tenant.company_id,
                customer_id=payer_pk,
                kind=TransactionKind.PAYMENT,
                amount_cents=500,
            )
        )
        session.add(
            Order(
                company_id=tenant.company_id,
                number=1001,
                status=OrderStatus.SUBMITTED,
                customer_id=buyer_pk,
                subtotal_cents=1000,
                total_cents=1000,
            )
        )
    refused = await api.ok(DELETE, {"id": with_order["id"]}, token=tenant.manager.token)
    assert refused["customerDelete"] == {
        "deletedId": None,
        "userErrors": [
            {
                "field": ["id"],
                "message": "Buyer has orders or transactions; archive the customer instead.",
                "code": "HAS_ORDERS",
            }
        ],
    }
    refused = await api.ok(DELETE, {"id": payer["id"]}, token=tenant.manager.token)
    assert refused["customerDelete"]["userErrors"][0]["code"] == "HAS_ORDERS"
    deleted = await api.mutate(DELETE, {"id": plain["id"]}, token=tenant.admin.token)
    assert deleted["deletedId"] == plain["id"]
    assert (await api.ok(GET, {"id": plain["id"]}, token=tenant.rep.token))["customer"] is None
    # In the recycle bin: the rows stay (docs/data-in.md), hidden from every scoped read.
    assert await count_customers(database, tenant.company_id) == 3
    async with database.transaction(None) as session:
        for model in (Location, Contact):
            left = await session.scalar(
                select(func.count()).select_from(model).where(model.company_id == tenant.company_id)
            )
            assert left == 1, model
    events = await audit_actions(database, tenant.company_id)
    assert events[-1][0] == "customer.delete"
    assert list(events[-1][1]) == ["deletedAt"]
    assert events[-1][1]["deletedAt"][0] is None


async def customer_pk(database, name: str, tenant) -> int:
    async with database.transaction(None) as session:
        return await session.scalar(
            select(Customer.id).where(
                Customer.company_id == tenant.company_id, Customer.name == name
            )
        )


async def test_tenant_isolation(api, tenant, other_tenant):
    theirs = await create_customer(api, other_tenant, name="Theirs")
    assert (await api.ok(GET, {"id": theirs["id"]}, token=tenant.admin.token))["customer"] is None
    for mutation, variables in (
        (UPDATE, {"id": theirs["id"], "input": {"name": "Hijack"}}),
        (ARCHIVE, {"id": theirs["id"]}),
        (DELETE, {"id": theirs["id"]}),
    ):
        body = await api.ok(mutation, variables, token=tenant.admin.token)
        (payload,) = body.values()
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    listing = await api.ok("{ customers { totalCount } }", token=tenant.admin.token)
    assert listing["customers"]["totalCount"] == 0
    read = (await api.ok(GET, {"id": theirs["id"]}, token=other_tenant.rep.token))["customer"]
    assert (read["name"], read["status"]) == ("Theirs", "ACTIVE")
