"""Sales rep assignment: customerSetSalesRep and Staff.assignedCustomers."""

from __future__ import annotations

from db.models import Customer
from resolvers.ids import encode_id
from tests.relationship_support import audit_events, errors, make_customers, pk

SET_REP = """mutation($c: ID!, $s: ID) { customerSetSalesRep(customerId: $c, staffId: $s) {
  customer { id version salesRep { id name } } userErrors { field message code } } }"""

CUSTOMER = """query($id: ID!) { customer(id: $id) { version salesRep { id } } }"""


async def test_assign_reassign_and_unassign_a_rep(api, tenant, database):
    (harbor,) = await make_customers(database, tenant, "Harbor Street Grocers")
    assigned = await api.mutate(
        SET_REP, {"c": harbor, "s": tenant.rep.global_id}, token=tenant.manager.token
    )
    assert assigned["customer"]["salesRep"]["id"] == tenant.rep.global_id
    assert assigned["customer"]["version"] == 2

    # Any role may assign, and any active member, managers included.
    moved = await api.mutate(
        SET_REP, {"c": harbor, "s": tenant.manager.global_id}, token=tenant.rep.token
    )
    assert moved["customer"]["salesRep"]["id"] == tenant.manager.global_id
    assert moved["customer"]["version"] == 3

    cleared = await api.mutate(SET_REP, {"c": harbor, "s": None}, token=tenant.admin.token)
    assert cleared["customer"]["salesRep"] is None
    assert cleared["customer"]["version"] == 4

    # Setting the same value again changes nothing and records nothing.
    again = await api.mutate(SET_REP, {"c": harbor, "s": None}, token=tenant.admin.token)
    assert again["customer"]["version"] == 4

    events = await audit_events(database, tenant, "customer.set_sales_rep")
    assert [(e.actor_id, e.changes) for e in events] == [
        (tenant.manager.id, {"sales_rep_id": [None, tenant.rep.id]}),
        (tenant.rep.id, {"sales_rep_id": [tenant.rep.id, tenant.manager.id]}),
        (tenant.admin.id, {"sales_rep_id": [tenant.manager.id, None]}),
    ]
    assert {(e.entity_type, e.entity_id, e.customer_id) for e in events} == {
        ("Customer", pk(harbor), pk(harbor))
    }


async def test_assigned_customers_follow_the_rep(api, tenant, database):
    ids = await make_customers(database, tenant, "Zeta Bakery", "Alpha Deli", "Mid Market")
    for customer in ids[:2]:
        await api.mutate(
            SET_REP, {"c": customer, "s": tenant.rep.global_id}, token=tenant.rep.token
        )
    query = """query($id: ID!) { node(id: $id) { ... on Staff {
      assignedCustomers { totalCount nodes { name } } } } }"""
    data = await api.ok(query, {"id": tenant.rep.global_id}, token=tenant.manager.token)
    assert data["node"]["assignedCustomers"] == {
        "totalCount": 2,
        "nodes": [{"name": "Alpha Deli"}, {"name": "Zeta Bakery"}],
    }


async def test_inactive_foreign_and_unknown_staff_are_refused(api, tenant, other_tenant, database):
    (customer,) = await make_customers(database, tenant, "Blue Ridge Hardware")
    await api.mutate(SET_REP, {"c": customer, "s": tenant.rep.global_id}, token=tenant.admin.token)
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             userErrors { code } } }""",
        {"id": tenant.rep2.global_id},
        token=tenant.admin.token,
    )
    cases = [
        (tenant.rep2.global_id, [(["staffId"], "INACTIVE_STAFF")]),
        (other_tenant.rep.global_id, [(["staffId"], "NOT_FOUND")]),
        (encode_id("Staff", 987654321), [(["staffId"], "NOT_FOUND")]),
        (customer, [(["staffId"], "INVALID_ID")]),
        ("garbage", [(["staffId"], "INVALID_ID")]),
    ]
    for staff_id, expected in cases:
        data = await api.ok(SET_REP, {"c": customer, "s": staff_id}, token=tenant.admin.token)
        assert data["customerSetSalesRep"]["customer"] is None
        assert errors(data["customerSetSalesRep"]) == expected, staff_id
    both = await api.ok(SET_REP, {"c": "bad", "s": "worse"}, token=tenant.admin.token)
    assert errors(both["customerSetSalesRep"]) == [
        (["customerId"], "INVALID_ID"),
        (["staffId"], "INVALID_ID"),
    ]
    inactive = await api.ok(
        SET_REP, {"c": customer, "s": tenant.rep2.global_id}, token=tenant.admin.token
    )
    assert inactive["customerSetSalesRep"]["userErrors"][0]["message"] == (
        f"Rep2 {tenant.rep2.email.split('-')[1].split('@')[0]} is no longer active "
        "and cannot be assigned as sales rep."
    )
    # Nothing was written: still the first rep, version 2, one audit event.
    data = await api.ok(CUSTOMER, {"id": customer}, token=tenant.admin.token)
    assert data["customer"] == {"version": 2, "salesRep": {"id": tenant.rep.global_id}}
    assert len(await audit_events(database, tenant, "customer.set_sales_rep")) == 1


async def test_another_companys_customer_is_not_found(api, tenant, other_tenant, database):
    (theirs,) = await make_customers(database, other_tenant, "Their Customer")
    data = await api.ok(SET_REP, {"c": theirs, "s": tenant.rep.global_id}, token=tenant.admin.token)
    assert errors(data["customerSetSalesRep"]) == [(["customerId"], "NOT_FOUND")]
    session = database.session(None)
    try:
        row = await session.get(Customer, pk(theirs))
    finally:
        await session.close()
    assert row.sales_rep_id is None
    assert row.version == 1
