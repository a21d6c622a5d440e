"""The recycle bin: a deleted customer is hidden everywhere, restorable, purged after 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import func, select, update

from db.models import Contact, Customer, Interaction, Location
from db.session import Scope
from resolvers.recycle_bin import purge
from server.cli import main as cli
from tests.orders_support import make_customer
from tests.relationship_support import pk
from tests.test_interactions import log

DELETE = """mutation($id: ID!) { customerDelete(id: $id) {
  deletedId userErrors { field message code } } }"""
RESTORE = """mutation($id: ID!) { customerRestore(id: $id) {
  customer { id name deletedAt contacts { name isPrimary } locations { totalCount }
             interactions { totalCount } }
  userErrors { field message code } } }"""
BIN = """{ deletedCustomers { totalCount nodes { id name deletedAt } } }"""
CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { code } } }"""
# Everywhere a customer could show: node, lists, nested lists, search, reports, summary.
EVERYWHERE = """query($id: ID!) {
  customer(id: $id) { id } node(id: $id) { id } nodes(ids: [$id]) { id }
  customers { totalCount nodes { name } }
  locations { totalCount nodes { name } }
  interactions { totalCount nodes { body } }
  search(query: "Harbor") { __typename }
  interactionsReport(groupBy: [CUSTOMER]) { customer { name } count }
  customerSummary { total }
}"""


async def harbor(api, tenant) -> str:
    """Harbor Supply: 2 locations, a contact and 3 interactions; no orders."""
    customer, _ = await make_customer(
        api, tenant, "Harbor Supply", locations=("Portland branch", "Salem branch")
    )
    await api.mutate(
        CONTACT, {"input": {"customerId": customer, "name": "Ada Harbor"}}, token=tenant.rep.token
    )
    for body in ("Visit one.", "Call two.", "Note three."):
        await log(api, tenant.rep, customer, "CALL", body)
    return customer


async def test_delete_hides_everywhere_and_restore_brings_everything_back(api, tenant):
    deleted = await harbor(api, tenant)
    kept, _ = await make_customer(api, tenant, "Kept Co", locations=("Main",))
    before = await api.ok(EVERYWHERE, {"id": deleted}, token=tenant.manager.token)
    assert before["customers"]["totalCount"] == 2
    assert before["locations"]["totalCount"] == 3
    assert before["interactions"]["totalCount"] == 3
    assert before["search"] == [{"__typename": "Customer"}, {"__typename": "Contact"}]
    assert before["customerSummary"] == {"total": 2}

    await api.mutate(DELETE, {"id": deleted}, token=tenant.manager.token)
    after = await api.ok(EVERYWHERE, {"id": deleted}, token=tenant.manager.token)
    assert after == {
        "customer": None,
        "node": None,
        "nodes": [None],
        "customers": {"totalCount": 1, "nodes": [{"name": "Kept Co"}]},
        "locations": {"totalCount": 1, "nodes": [{"name": "Main"}]},
        "interactions": {"totalCount": 0, "nodes": []},
        "search": [],
        "interactionsReport": [],
        "customerSummary": {"total": 1},
    }
    # Nothing can be written to it either: it is simply not found.
    refused = await api.ok(DELETE, {"id": deleted}, token=tenant.manager.token)
    assert refused["customerDelete"]["userErrors"] == [
        {"field": ["id"], "message": "No such customer.", "code": "NOT_FOUND"}
    ]

    binned = (await api.ok(BIN, token=tenant.manager.token))["deletedCustomers"]
    assert binned["totalCount"] == 1
    assert [(n["id"], n["name"]) for n in binned["nodes"]] == [(deleted, "Harbor Supply")]
    assert binned["nodes"][0]["deletedAt"] is not None

    restored = await api.mutate(RESTORE, {"id": deleted}, token=tenant.admin.token)
    assert restored["customer"] == {
        "id": deleted,
        "name": "Harbor Supply",
        "deletedAt": None,
        "contacts": [{"name": "Ada Harbor", "isPrimary": True}],
        "locations": {"totalCount": 2},
        "interactions": {"totalCount": 3},
    }
    assert await api.ok(EVERYWHERE, {"id": deleted}, token=tenant.manager.token) == {
        **before,
        "customer": {"id": deleted},
        "node": {"id": deleted},
        "nodes": [{"id": deleted}],
    }
    assert (await api.ok(BIN, token=tenant.manager.token))["deletedCustomers"]["totalCount"] == 0
    again = await api.ok(RESTORE, {"id": deleted}, token=tenant.admin.token)
    assert again["customerRestore"]["userErrors"] == [
        {"field": ["id"], "message": "No such customer in the recycle bin.", "code": "NOT_FOUND"}
    ]
    del kept


async def test_exports_leave_deleted_customers_out(api, tenant):
    deleted = await harbor(api, tenant)
    await make_customer(api, tenant, "Kept Co")
    await api.mutate(DELETE, {"id": deleted}, token=tenant.manager.token)
    headers = {"Authorization": f"Bearer {tenant.manager.token}"}
    response = await api.client.get("/export/customers.csv", headers=headers)
    assert response.status_code == 200
    assert "Harbor" not in response.text and "Kept Co" in response.text
    summary = await api.client.get("/export/customer-summary.csv", headers=headers)
    assert summary.status_code == 200
    # Kept Co alone: one NEVER_ORDERED, one ACTIVE.
    assert "engagement,NEVER_ORDERED,1" in summary.text.splitlines()
    assert "status,ACTIVE,1" in summary.text.splitlines()


async def test_only_admin_and_manager_see_and_restore_the_bin(api, tenant):
    deleted = await harbor(api, tenant)
    await api.mutate(DELETE, {"id": deleted}, token=tenant.manager.token)
    for query, variables in ((BIN, None), (RESTORE, {"id": deleted})):
        body = await api.gql(query, variables, token=tenant.rep.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_company_neither_sees_nor_restores_the_bin(api, tenant, other_tenant):
    deleted = await harbor(api, tenant)
    await api.mutate(DELETE, {"id": deleted}, token=tenant.manager.token)
    theirs = await api.ok(BIN, token=other_tenant.admin.token)
    assert theirs == {"deletedCustomers": {"totalCount": 0, "nodes": []}}
    refused = await api.ok(RESTORE, {"id": deleted}, token=other_tenant.admin.token)
    assert refused["customerRestore"]["userErrors"][0]["code"] == "NOT_FOUND"
    mine = await api.ok(BIN, token=tenant.admin.token)
    assert mine["deletedCustomers"]["totalCount"] == 1


async def _age(database, customer_id: str, days: int) -> None:
    async with database.transaction(None) as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == pk(customer_id))
            .values(deleted_at=datetime.now(UTC) - timedelta(days=days))
        )


async def _rows(database, company_id: int) -> dict[str, int]:
    async with database.transaction(None) as session:
        counts = {}
        for model in (Customer, Location, Contact, Interaction):
            counts[model.__tablename__] = await session.scalar(
                select(func.count()).select_from(model).where(model.company_id == company_id)
            )
        return counts


async def test_purge_removes_for_good_only_what_is_older_than_30_days(
    api, tenant, database, settings
):
    old = await harbor(api, tenant)
    recent, _ = await make_customer(api, tenant, "Recent Co", locations=("Depot",))
    await make_customer(api, tenant, "Alive Co")
    for customer, days in ((old, 31), (recent, 29)):
        await api.mutate(DELETE, {"id": customer}, token=tenant.manager.token)
        await _age(database, customer, days)
    assert await _rows(database, tenant.company_id) == {
        "customers": 3,
        "locations": 3,
        "contacts": 1,
        "interactions": 3,
    }
    assert await purge(database, settings, dry_run=True) == 1
    assert await purge(database, settings) == 1
    assert await _rows(database, tenant.company_id) == {
        "customers": 2,
        "locations": 1,
        "contacts": 0,
        "interactions": 0,
    }
    binned = (await api.ok(BIN, token=tenant.manager.token))["deletedCustomers"]
    assert [n["name"] for n in binned["nodes"]] == ["Recent Co"]
    assert await purge(database, settings) == 0


def test_purge_command(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'purge.db'}"
    result = CliRunner().invoke(cli, ["purge", "--database", url, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output == "would purge 0 customers deleted over 30 days ago\n"
    result = CliRunner().invoke(cli, ["purge", "--database", url, "--days", "0"])
    assert result.exit_code == 2


async def test_scoped_session_cannot_reach_deleted_rows(api, tenant, database):
    deleted = await harbor(api, tenant)
    await api.mutate(DELETE, {"id": deleted}, token=tenant.manager.token)
    async with database.transaction(Scope(tenant.company_id)) as session:
        assert await session.get(Customer, pk(deleted)) is None
        for model in (Location, Contact, Interaction):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
    async with database.transaction(Scope(tenant.company_id, include_deleted=True)) as session:
        assert (await session.get(Customer, pk(deleted))).name == "Harbor Supply"
        assert await session.scalar(select(func.count()).select_from(Location)) == 2
