"""Contacts: exactly one primary per customer, through create, set-primary and delete."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import AuditEvent, Contact

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
CREATE = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id name title email phone mobile fax notes isPrimary version customer { id } }
  userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: ContactUpdateInput!) { contactUpdate(id: $id, input: $input) {
  contact { id name title email version } userErrors { field message code } } }"""
SET_PRIMARY = """mutation($id: ID!) { contactSetPrimary(id: $id) {
  contact { id isPrimary version } userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { contactDelete(id: $id) { deletedId userErrors { field code } } }"""
CONTACTS = """query($id: ID!) { customer(id: $id) {
  contacts { name isPrimary } primaryContact { name } } }"""


async def new_customer(api, tenant, name: str = "Acme") -> str:
    payload = await api.mutate(CREATE_CUSTOMER, {"input": {"name": name}}, token=tenant.rep.token)
    return payload["customer"]["id"]


async def add_contact(api, tenant, customer_id: str, name: str, **fields) -> dict:
    payload = await api.mutate(
        CREATE,
        {"input": {"customerId": customer_id, "name": name, **fields}},
        token=tenant.rep.token,
    )
    return payload["contact"]


async def contacts_of(api, tenant, customer_id: str) -> dict:
    return (await api.ok(CONTACTS, {"id": customer_id}, token=tenant.rep.token))["customer"]


async def test_first_contact_is_primary_and_later_ones_are_not(api, tenant):
    acme = await new_customer(api, tenant)
    assert await contacts_of(api, tenant, acme) == {"contacts": [], "primaryContact": None}
    ann = await add_contact(
        api,
        tenant,
        acme,
        "Ann Able",
        title="Buyer",
        email="Ann@Acme.example",
        phone="555-010-1111",
        mobile="555-010-2222",
        fax="555-010-3333",
        notes="Prefers mornings.",
    )
    assert ann == {
        "id": ann["id"],
        "name": "Ann Able",
        "title": "Buyer",
        "email": "ann@acme.example",
        "phone": "555-010-1111",
        "mobile": "555-010-2222",
        "fax": "555-010-3333",
        "notes": "Prefers mornings.",
        "isPrimary": True,
        "version": 1,
        "customer": {"id": acme},
    }
    bob = await add_contact(api, tenant, acme, "Bob Baker")
    assert bob["isPrimary"] is False
    assert await contacts_of(api, tenant, acme) == {
        "contacts": [
            {"name": "Ann Able", "isPrimary": True},
            {"name": "Bob Baker", "isPrimary": False},
        ],
        "primaryContact": {"name": "Ann Able"},
    }


async def test_set_primary_flips_exactly_one(api, tenant):
    acme = await new_customer(api, tenant)
    ann = await add_contact(api, tenant, acme, "Ann")
    bob = await add_contact(api, tenant, acme, "Bob")
    flipped = await api.mutate(SET_PRIMARY, {"id": bob["id"]}, token=tenant.rep.token)
    assert flipped["contact"] == {"id": bob["id"], "isPrimary": True, "version": 2}
    assert await contacts_of(api, tenant, acme) == {
        "contacts": [{"name": "Bob", "isPrimary": True}, {"name": "Ann", "isPrimary": False}],
        "primaryContact": {"name": "Bob"},
    }
    # Setting the primary again changes nothing.
    again = await api.mutate(SET_PRIMARY, {"id": bob["id"]}, token=tenant.rep.token)
    assert again["contact"]["version"] == 2
    back = await api.mutate(SET_PRIMARY, {"id": ann["id"]}, token=tenant.rep.token)
    assert back["contact"]["isPrimary"] is True
    assert (await contacts_of(api, tenant, acme))["primaryContact"] == {"name": "Ann"}


async def test_deleting_primary_promotes_oldest_remaining(api, tenant, database):
    acme = await new_customer(api, tenant)
    ann = await add_contact(api, tenant, acme, "Ann")
    bob = await add_contact(api, tenant, acme, "Bob")
    cat = await add_contact(api, tenant, acme, "Cat")
    await api.mutate(SET_PRIMARY, {"id": cat["id"]}, token=tenant.rep.token)
    await api.mutate(DELETE, {"id": cat["id"]}, token=tenant.rep.token)
    assert await contacts_of(api, tenant, acme) == {
        "contacts": [{"name": "Ann", "isPrimary": True}, {"name": "Bob", "isPrimary": False}],
        "primaryContact": {"name": "Ann"},
    }
    # Deleting a non-primary leaves the primary alone.
    await api.mutate(DELETE, {"id": bob["id"]}, token=tenant.rep.token)
    assert (await contacts_of(api, tenant, acme))["primaryContact"] == {"name": "Ann"}
    await api.mutate(DELETE, {"id": ann["id"]}, token=tenant.rep.token)
    assert await contacts_of(api, tenant, acme) == {"contacts": [], "primaryContact": None}
    async with database.transaction(None) as session:
        left = await session.scalar(
            select(func.count()).select_from(Contact).where(Contact.company_id == tenant.company_id)
        )
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.changes)
                .where(
                    AuditEvent.company_id == tenant.company_id, AuditEvent.entity_type == "Contact"
                )
                .order_by(AuditEvent.id)
            )
        ).all()
    assert left == 0
    # Every change of primary is in the audit trail, the promotion included.
    assert [(action, changes.get("is_primary")) for action, changes in events] == [
        ("contact.create", [None, True]),
        ("contact.create", None),
        ("contact.create", None),
        ("contact.update", [True, False]),
        ("contact.setPrimary", [False, True]),
        ("contact.delete", [True, None]),
        ("contact.update", [False, True]),
        ("contact.delete", [False, None]),
        ("contact.delete", [True, None]),
    ]


async def test_update_validation_stale_and_isolation(api, tenant, other_tenant, database):
    acme = await new_customer(api, tenant)
    ann = await add_contact(api, tenant, acme, "Ann", email="ann@acme.example")
    updated = await api.mutate(
        UPDATE,
        {"id": ann["id"], "input": {"title": "Owner", "email": None, "expectedVersion": 1}},
        token=tenant.rep.token,
    )
    assert updated["contact"] == {
        "id": ann["id"],
        "name": "Ann",
        "title": "Owner",
        "email": None,
        "version": 2,
    }
    bad = await api.ok(
        UPDATE, {"id": ann["id"], "input": {"name": " ", "phone": "1"}}, token=tenant.rep.token
    )
    assert [(e["field"], e["code"]) for e in bad["contactUpdate"]["userErrors"]] == [
        (["input", "name"], "REQUIRED"),
        (["input", "phone"], "INVALID"),
    ]
    stale = await api.ok(
        UPDATE,
        {"id": ann["id"], "input": {"title": "X", "expectedVersion": 1}},
        token=tenant.rep.token,
    )
    assert stale["contactUpdate"]["userErrors"][0]["code"] == "STALE"
    theirs = await new_customer(api, other_tenant, "Theirs")
    create_theirs = await api.ok(
        CREATE, {"input": {"customerId": theirs, "name": "Spy"}}, token=tenant.rep.token
    )
    assert create_theirs["contactCreate"]["userErrors"][0]["code"] == "NOT_FOUND"
    for mutation, variables in (
        (UPDATE, {"id": ann["id"], "input": {"name": "Hijack"}}),
        (SET_PRIMARY, {"id": ann["id"]}),
        (DELETE, {"id": ann["id"]}),
    ):
        body = await api.ok(mutation, variables, token=other_tenant.rep.token)
        (payload,) = body.values()
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    create_bad = await api.ok(
        CREATE, {"input": {"customerId": acme, "name": "", "email": "x"}}, token=tenant.rep.token
    )
    assert len(create_bad["contactCreate"]["userErrors"]) == 2
    async with database.transaction(None) as session:
        names = (
            await session.execute(
                select(Contact.name, Contact.title, Contact.version).where(
                    Contact.company_id.in_([tenant.company_id, other_tenant.company_id])
                )
            )
        ).all()
    assert [tuple(n) for n in names] == [("Ann", "Owner", 2)]
