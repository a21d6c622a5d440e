"""Credit limits, archived customers, and who may set or override a limit."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from db.models import AuditEvent, Order
from db.session import Scope
from tests.ledger_factory import ORDER_STATUS, _product, make_customer
from tests.test_ledger import count_rows, record

CREATE_ORDER = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id number status } userErrors { field code message } } }"""
LIMITS = """query($id: ID!) { customer(id: $id) { creditLimit availableCredit
  balance { currentBalance } } }"""
UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id,
  input: $input) { customer { creditLimit availableCredit } userErrors { field code } } }"""
BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  updatedCount userErrors { field code } } }"""


async def order(api, tenant, token, customer, total, status="SUBMITTED", **extra):
    line = {
        "productId": await _product(api, tenant),
        "quantity": 1,
        "unitPrice": str(Decimal(total).scaleb(-2)),
    }
    input = {
        "customerId": customer,
        "lines": [line],
        "discountPercent": "0",
        "status": status,
        **extra,
    }
    return (await api.ok(CREATE_ORDER, {"input": input}, token=token))["orderCreate"]


def codes(payload) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def limits(api, token, customer):
    return (await api.ok(LIMITS, {"id": customer}, token=token))["customer"]


async def test_invoicing_past_the_limit_needs_a_manager(api, tenant, database):
    manager, rep = tenant.manager.token, tenant.rep.token
    customer = await make_customer(api, tenant, "Crescent Pet Supply", creditLimit="100.00")
    assert await limits(api, rep, customer) == {
        "creditLimit": "100.00",
        "availableCredit": "100.00",
        "balance": {"currentBalance": "0.00"},
    }
    assert (await order(api, tenant, rep, customer, 8000))["userErrors"] == []
    before = await count_rows(database, tenant, Order)
    refused = await order(api, tenant, rep, customer, 2001)
    assert codes(refused) == [(["input", "status"], "CREDIT_LIMIT_EXCEEDED")]
    assert refused["userErrors"][0]["message"] == (
        "Invoicing 20.01 would take Crescent Pet Supply's balance to 100.01, over its credit "
        "limit of 100.00 (available: 20.00). An ADMIN or MANAGER may pass "
        "overrideCreditLimit: true."
    )
    assert await count_rows(database, tenant, Order) == before
    # Up to the limit exactly is fine; a draft invoices nothing yet.
    assert (await order(api, tenant, rep, customer, 2000))["userErrors"] == []
    draft = await order(api, tenant, rep, customer, 5000, status="DRAFT")
    assert draft["userErrors"] == []
    # Submitting the draft invoices it: the limit applies there too.
    move = {"id": draft["order"]["id"], "input": {"status": "SUBMITTED"}}
    submitted = (await api.ok(ORDER_STATUS, move, token=rep))["orderUpdateStatus"]
    assert codes(submitted) == [(["input", "status"], "CREDIT_LIMIT_EXCEEDED")]
    # A rep may not override; a manager may, and it is audited.
    move["input"]["overrideCreditLimit"] = True
    by_rep = (await api.ok(ORDER_STATUS, move, token=rep))["orderUpdateStatus"]
    assert codes(by_rep) == [(["input", "overrideCreditLimit"], "FORBIDDEN")]
    by_manager = (await api.ok(ORDER_STATUS, move, token=manager))["orderUpdateStatus"]
    assert by_manager["userErrors"] == []
    assert await limits(api, rep, customer) == {
        "creditLimit": "100.00",
        "availableCredit": "-50.00",
        "balance": {"currentBalance": "150.00"},
    }
    overridden = await order(api, tenant, manager, customer, 100, overrideCreditLimit=True)
    assert overridden["userErrors"] == []
    rep_override = await order(api, tenant, rep, customer, 100, overrideCreditLimit=True)
    assert codes(rep_override) == [(["input", "overrideCreditLimit"], "FORBIDDEN")]
    async with database.transaction(Scope(tenant.company_id)) as session:
        audited = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.changes)
                .where(AuditEvent.entity_type == "Order")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [(action, changes.get("creditLimitOverridden")) for action, changes in audited[-2:]] == [
        ("order.status", [None, True]),
        ("order.create", [None, True]),
    ]
    # A payment makes room again.
    await record(api, manager, customerId=customer, kind="PAYMENT", amount="151.00")
    assert (await order(api, tenant, rep, customer, 10000))["userErrors"] == []


async def test_only_managers_set_limits(api, tenant, database):
    manager, rep = tenant.manager.token, tenant.rep.token
    by_rep = await api.ok(
        """mutation { customerCreate(input: {name: "Rep Co", creditLimit: "10.00"}) {
          customer { id } userErrors { field code } } }""",
        token=rep,
    )
    assert by_rep["customerCreate"] == {
        "customer": None,
        "userErrors": [{"field": ["input", "creditLimit"], "code": "FORBIDDEN"}],
    }
    customer = await make_customer(api, tenant, "Limitless")
    assert await limits(api, rep, customer) == {
        "creditLimit": None,
        "availableCredit": None,
        "balance": {"currentBalance": "0.00"},
    }
    changed = await api.ok(
        UPDATE, {"id": customer, "input": {"creditLimit": "2500.00"}}, token=manager
    )
    assert changed["customerUpdate"] == {
        "customer": {"creditLimit": "2500.00", "availableCredit": "2500.00"},
        "userErrors": [],
    }
    rep_change = await api.ok(UPDATE, {"id": customer, "input": {"creditLimit": None}}, token=rep)
    assert rep_change["customerUpdate"]["userErrors"] == [
        {"field": ["input", "creditLimit"], "code": "FORBIDDEN"}
    ]
    bad = await api.ok(UPDATE, {"id": customer, "input": {"creditLimit": "-1.00"}}, token=manager)
    assert bad["customerUpdate"]["userErrors"] == [
        {"field": ["input", "creditLimit"], "code": "OUT_OF_RANGE"}
    ]
    cleared = await api.ok(UPDATE, {"id": customer, "input": {"creditLimit": None}}, token=manager)
    assert cleared["customerUpdate"]["customer"] == {"creditLimit": None, "availableCredit": None}
    async with database.transaction(Scope(tenant.company_id)) as session:
        audit = (
            await session.execute(
                select(AuditEvent.changes)
                .where(AuditEvent.action == "customer.update")
                .order_by(AuditEvent.id)
            )
        ).scalars()
        assert [changes["creditLimit"] for changes in audit] == [
            [None, "2500.00"],
            ["2500.00", None],
        ]

    other = await make_customer(api, tenant, "Other")
    ids = [customer, other]
    set_all = await api.ok(
        BULK, {"input": {"ids": ids, "set": {"creditLimit": "500.00"}}}, token=manager
    )
    assert set_all["customersBulkUpdate"] == {"updatedCount": 2, "userErrors": []}
    assert (await limits(api, rep, other))["creditLimit"] == "500.00"
    both = await api.ok(
        BULK,
        {"input": {"ids": ids, "set": {"creditLimit": "1.00", "clearCreditLimit": True}}},
        token=manager,
    )
    assert both["customersBulkUpdate"]["userErrors"] == [
        {"field": ["input", "set"], "code": "INVALID"}
    ]
    clear = await api.ok(
        BULK, {"input": {"ids": ids, "set": {"clearCreditLimit": True}}}, token=manager
    )
    assert clear["customersBulkUpdate"]["updatedCount"] == 2
    assert (await limits(api, rep, other))["creditLimit"] is None


async def test_archived_customers_take_no_orders(api, tenant, database):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Dusty Antiques")
    await api.mutate(
        """mutation($id: ID!) { customerArchive(id: $id) { customer { id } userErrors {
          field code message } } }""",
        {"id": customer},
        token=token,
    )
    refused = await order(api, tenant, token, customer, 1000, status="DRAFT")
    assert codes(refused) == [(["input", "customerId"], "CUSTOMER_ARCHIVED")]
    assert await count_rows(database, tenant, Order) == 0


async def test_concurrent_invoices_cannot_both_slip_under_the_limit(api, tenant, database):
    """Six invoices of 30.00 at once against a limit of 100.00: three fit, whatever the
    interleaving (the check reads the balance under the customer's lock)."""
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Harbor Street Grocers", creditLimit="100.00")
    await _product(api, tenant)
    results = await asyncio.gather(*(order(api, tenant, token, customer, 3000) for _ in range(6)))
    outcomes = Counter(r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results)
    assert outcomes == {"OK": 3, "CREDIT_LIMIT_EXCEEDED": 3}
    assert (await limits(api, token, customer))["balance"] == {"currentBalance": "90.00"}
    numbers = sorted(r["order"]["number"] for r in results if r["order"])
    assert numbers == [1001, 1002, 1003]
