"""Customer.possibleDuplicates: the same e-mail, phone digits or normalised name."""

from __future__ import annotations

from sqlalchemy import update

from db.models import Customer
from db.session import Scope
from tests.relationship_support import pk

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) { customerUpdate(id: $id, input: $input) {
  customer { id } userErrors { code } } }"""
DUPLICATES = """query($id: ID!) { customer(id: $id) { possibleDuplicates { name } } }"""
PAGE = """query($first: Int!) { customers(first: $first) {
  nodes { name possibleDuplicates { name } } } }"""


async def create(api, tenant, name: str, email: str | None = None, phone: str | None = None):
    variables = {"input": {"name": name, "email": email, "phone": phone}}
    return (await api.mutate(CREATE, variables, token=tenant.manager.token))["customer"]["id"]


async def duplicates_of(api, tenant, customer: str) -> list[str]:
    data = await api.ok(DUPLICATES, {"id": customer}, token=tenant.manager.token)
    return [c["name"] for c in data["customer"]["possibleDuplicates"]]


async def test_same_email_phone_digits_or_normalised_name(api, tenant, other_tenant):
    acme = await create(api, tenant, "Acme, Inc.", "Orders@Acme.example", "+1 (503) 555-0100")
    await create(api, tenant, "ACME")  # the name without punctuation and "Inc"
    await create(api, tenant, "Acme Hardware", " orders@acme.EXAMPLE ")  # the e-mail
    await create(api, tenant, "Portland Tools", phone="503.555.0100")  # the phone digits
    await create(api, tenant, "Acme Partners", "sales@acme.example", "503 555 0199")
    await create(api, tenant, "Café Olé")
    await create(api, tenant, "Cafe Ole LLC")
    await create(api, other_tenant, "Acme Inc", "orders@acme.example", "503-555-0100")

    assert await duplicates_of(api, tenant, acme) == ["ACME", "Acme Hardware", "Portland Tools"]
    cafe = await create(api, tenant, "CAFÉ  olé, Ltd")
    assert await duplicates_of(api, tenant, cafe) == ["Café Olé", "Cafe Ole LLC"]
    # Keys follow edits.
    await api.mutate(
        UPDATE, {"id": cafe, "input": {"name": "Other Name"}}, token=tenant.admin.token
    )
    assert await duplicates_of(api, tenant, cafe) == []
    # No duplicates of no key: customers without e-mail and phone don't all match each other.
    lone = await create(api, tenant, "Lone Wolf")
    assert await duplicates_of(api, tenant, lone) == []


async def test_merged_and_deleted_customers_are_not_offered(api, tenant, database):
    first = await create(api, tenant, "Twin Co", "twin@example.com")
    merged = await create(api, tenant, "Twin Company", "twin@example.com")
    deleted = await create(api, tenant, "TWIN co.", "other@example.com")
    kept = await create(api, tenant, "Twin", phone="555 123 4567")
    await create(api, tenant, "Twin Phone", phone="(555) 123-4567")
    assert await duplicates_of(api, tenant, first) == ["Twin", "TWIN co.", "Twin Company"]
    async with database.transaction(Scope(tenant.company_id)) as session:
        await session.execute(
            update(Customer).where(Customer.id == pk(merged)).values(merged_into_id=pk(first))
        )
    await api.mutate(
        "mutation($id: ID!) { customerDelete(id: $id) { deletedId userErrors { code } } }",
        {"id": deleted},
        token=tenant.manager.token,
    )
    assert await duplicates_of(api, tenant, first) == ["Twin"]
    assert await duplicates_of(api, tenant, kept) == ["Twin Co", "Twin Phone"]


async def test_one_statement_for_any_page(api, tenant):
    for n in range(60):
        await create(api, tenant, f"Shop {n % 30}", f"shop{n % 20}@example.com", f"503555{n:04d}")
    counts = {}
    for size in (5, 60):
        data = await api.ok(PAGE, {"first": size}, token=tenant.manager.token)
        counts[size] = api.last_statements
        assert len(data["customers"]["nodes"]) == size
    assert counts[5] == counts[60]
    data = await api.ok(PAGE, {"first": 60}, token=tenant.manager.token)
    shop0 = [n for n in data["customers"]["nodes"] if n["name"] == "Shop 0"]
    # "Shop 0" twice (n = 0, 30); n = 0 shares its e-mail with n = 20 and 40.
    assert [len(n["possibleDuplicates"]) for n in shop0] == [3, 3]
