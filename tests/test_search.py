"""Root search: ranking, accent folding, every searched field, short queries, tenancy."""

from __future__ import annotations

from typing import Any

import pytest

SEARCH = """query($query: String!, $first: Int = 10) { search(query: $query, first: $first) {
  __typename
  ... on Customer { name }
  ... on Contact { name }
  ... on Location { name }
  ... on Order { number poNumber }
} }"""


async def create(api, token: str, mutation: str, input: dict[str, Any]) -> str:
    name = mutation[0].lower() + mutation[1:]
    payload = await api.mutate(
        f"""mutation($input: {mutation}Input!) {{ {name}(input: $input) {{
              {name.removesuffix("Create")} {{ id }} userErrors {{ field code message }} }} }}""",
        {"input": input},
        token=token,
    )
    return payload[name.removesuffix("Create")]["id"]


async def found(api, token: str, query: str, first: int | None = None) -> list[str]:
    variables = {"query": query} if first is None else {"query": query, "first": first}
    data = await api.ok(SEARCH, variables, token=token)
    labels = []
    for item in data["search"]:
        label = item.get("name") or f"#{item['number']} {item['poNumber']}"
        labels.append(f"{item['__typename']}: {label}")
    return labels


@pytest.fixture
async def cafes(api, tenant) -> dict[str, str]:
    """A small rolodex where many things mention a cafe."""
    token = tenant.admin.token
    ids = {}
    for name in ("Cafe", "Café Olé", "Cafeteria Uno", "Le Petit Café", "Acme"):
        ids[name] = await create(api, token, "CustomerCreate", {"name": name})
    acme = ids["Acme"]
    await create(api, token, "ContactCreate", {"customerId": acme, "name": "Zoé Cafe"})
    await create(
        api,
        token,
        "ContactCreate",
        {
            "customerId": acme,
            "name": "Marc Dupont",
            "email": "marc@dupont.example",
            "phone": "(555) 123-4567",
        },
    )
    await create(api, token, "LocationCreate", {"customerId": acme, "name": "Cafe Annex"})
    await create(
        api,
        token,
        "LocationCreate",
        {"customerId": acme, "name": "North Store", "address": {"city": "Montréal"}},
    )
    product = await create(
        api, token, "ProductCreate", {"sku": "BEAN-1", "name": "Beans", "price": "9.50"}
    )
    await create(
        api,
        token,
        "OrderCreate",
        {
            "customerId": acme,
            "poNumber": "CAFE-7",
            "lines": [{"productId": product, "quantity": 1}],
        },
    )
    return ids


async def test_ranking_is_exact_then_prefix_then_substring_then_by_name(api, tenant, cafes):
    assert await found(api, tenant.rep.token, "cafe") == [
        "Customer: Cafe",
        "Location: Cafe Annex",
        "Customer: Café Olé",
        "Order: #1001 CAFE-7",
        "Customer: Cafeteria Uno",
        "Customer: Le Petit Café",
        "Contact: Zoé Cafe",
    ]
    # Capital letters and accents in the query don't matter; `first` cuts the ranked list.
    assert await found(api, tenant.rep.token, "CAFÉ", first=3) == [
        "Customer: Cafe",
        "Location: Cafe Annex",
        "Customer: Café Olé",
    ]


async def test_prefix_matches_come_first_and_substrings_fill_up_to_first(api, tenant, other_tenant):
    """Customers: exact and prefix matches are read from the name index first; other
    substring matches only fill what is left of `first`, still best first."""
    token = tenant.admin.token
    for name in ("Harbor Mill", "Charter Oak", "Har", "Zebra Harp", "Harbor Bay", "Blue Harbor"):
        await create(api, token, "CustomerCreate", {"name": name})
    await create(api, other_tenant.admin.token, "CustomerCreate", {"name": "Harbor Elsewhere"})
    ranked = [
        "Customer: Har",
        "Customer: Harbor Bay",
        "Customer: Harbor Mill",
        "Customer: Blue Harbor",
        "Customer: Charter Oak",
        "Customer: Zebra Harp",
    ]
    for first in (1, 2, 3, 4, 6, 10):
        assert await found(api, tenant.rep.token, "har", first=first) == ranked[:first]
    assert await found(api, tenant.rep.token, "HARBOR", first=10) == [
        "Customer: Harbor Bay",
        "Customer: Harbor Mill",
        "Customer: Blue Harbor",
    ]
    assert await found(api, tenant.rep.token, "arbo", first=10) == [
        "Customer: Blue Harbor",
        "Customer: Harbor Bay",
        "Customer: Harbor Mill",
    ]


async def test_accents_are_folded_both_ways(api, tenant, cafes):
    assert await found(api, tenant.rep.token, "cafe ole") == ["Customer: Café Olé"]
    assert await found(api, tenant.rep.token, "olé") == ["Customer: Café Olé"]
    assert await found(api, tenant.rep.token, "zoe") == ["Contact: Zoé Cafe"]
    # Locations by city, folded too.
    assert await found(api, tenant.rep.token, "montreal") == ["Location: North Store"]


async def test_contacts_by_email_and_phone_orders_by_number(api, tenant, cafes):
    assert await found(api, tenant.rep.token, "dupont.ex") == ["Contact: Marc Dupont"]
    assert await found(api, tenant.rep.token, "123-45") == ["Contact: Marc Dupont"]
    assert await found(api, tenant.rep.token, "5551234567") == ["Contact: Marc Dupont"]
    assert await found(api, tenant.rep.token, "#1001") == ["Order: #1001 CAFE-7"]
    assert await found(api, tenant.rep.token, "1001") == ["Order: #1001 CAFE-7"]


async def test_three_letter_fragments_and_shorter_queries(api, tenant, cafes):
    assert await found(api, tenant.rep.token, "ter") == ["Customer: Cafeteria Uno"]
    assert await found(api, tenant.rep.token, "nne") == ["Location: Cafe Annex"]
    # Under three letters: customer names starting with the query.
    assert await found(api, tenant.rep.token, "ca") == [
        "Customer: Cafe",
        "Customer: Café Olé",
        "Customer: Cafeteria Uno",
    ]
    assert await found(api, tenant.rep.token, "  ") == []
    assert await found(api, tenant.rep.token, "zzz") == []


async def test_search_follows_renames(api, tenant, cafes):
    await api.mutate(
        """mutation($id: ID!) { customerUpdate(id: $id, input: {name: "Tea Room"}) {
             customer { id } userErrors { code } } }""",
        {"id": cafes["Cafeteria Uno"]},
        token=tenant.admin.token,
    )
    assert await found(api, tenant.rep.token, "tea room") == ["Customer: Tea Room"]
    assert "Customer: Cafeteria Uno" not in await found(api, tenant.rep.token, "cafe")


async def test_other_companies_are_never_found(api, tenant, other_tenant, cafes):
    await create(api, other_tenant.admin.token, "CustomerCreate", {"name": "Cafe Elsewhere"})
    assert "Customer: Cafe Elsewhere" not in await found(api, tenant.rep.token, "cafe")
    assert await found(api, tenant.rep.token, "elsewhere") == []
    assert await found(api, other_tenant.rep.token, "cafe") == ["Customer: Cafe Elsewhere"]


async def test_first_is_capped_and_statements_are_constant(api, tenant, cafes):
    body = await api.gql(SEARCH, {"query": "cafe", "first": 51}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await found(api, tenant.rep.token, "cafe", first=1)
    one = api.last_statements
    await found(api, tenant.rep.token, "cafe", first=50)
    assert api.last_statements == one


async def test_contact_and_location_edits_are_searchable_with_accents_folded(api, tenant, cafes):
    contacts = await api.ok(
        """query($id: ID!) { customer(id: $id) { contacts { id name } locations { nodes { id name } } } }""",
        {"id": cafes["Acme"]},
        token=tenant.admin.token,
    )
    zoe = next(c["id"] for c in contacts["customer"]["contacts"] if c["name"] == "Zoé Cafe")
    north = next(
        n["id"] for n in contacts["customer"]["locations"]["nodes"] if n["name"] == "North Store"
    )
    await api.mutate(
        """mutation($id: ID!) { contactUpdate(id: $id, input: {name: "Élodie Tremblay"}) {
             contact { id } userErrors { code } } }""",
        {"id": zoe},
        token=tenant.admin.token,
    )
    await api.mutate(
        """mutation($id: ID!) { locationUpdate(id: $id, input: {address: {city: "Trois-Rivières"}}) {
             location { id } userErrors { code } } }""",
        {"id": north},
        token=tenant.admin.token,
    )
    assert await found(api, tenant.rep.token, "elodie") == ["Contact: Élodie Tremblay"]
    assert await found(api, tenant.rep.token, "zoe") == []
    assert await found(api, tenant.rep.token, "rivieres") == ["Location: North Store"]
    assert await found(api, tenant.rep.token, "montreal") == []
