"""locationsImport and contactsImport: CSV shaped like their exports, all or nothing, undoable."""

from __future__ import annotations

import json
from typing import Any

from tests.test_attachments import PREFLIGHT
from tests.test_imports import REVERT
from tests.test_imports import send as send_customers

PAYLOAD = """rowCount createdCount updatedCount bulkOperationId
  rowErrors { row field message } userErrors { field message code }"""
LOCATIONS = """{ locations(first: 50) { nodes {
  name phone email address { line1 city region postalCode country } salesRep { name }
  customer { name } version } } }"""
CONTACTS = """{ customers(first: 50) { nodes { name contacts {
  name title email phone notes isPrimary version } } } }"""
CUSTOMERS = "externalId,name\nOLD-1,Acme Supply\nOLD-2,Bravo Bikes\nOLD-3,Cobalt\n"


async def post(api, token: str, kind: str, content: str, dry_run: bool) -> dict[str, Any]:
    query = f"""mutation($input: {kind.capitalize()}ImportInput!) {{
      {kind}Import(input: $input) {{ {PAYLOAD} }} }}"""
    operations = {"query": query, "variables": {"input": {"file": None, "dryRun": dry_run}}}
    response = await api.client.post(
        "/graphql",
        files={
            "operations": (None, json.dumps(operations)),
            "map": (None, json.dumps({"0": ["variables.input.file"]})),
            "0": (f"{kind}.csv", content.encode(), "text/csv"),
        },
        headers={"Authorization": f"Bearer {token}", **PREFLIGHT},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def send(api, token: str, kind: str, content: str, dry_run: bool = False) -> dict[str, Any]:
    body = await post(api, token, kind, content, dry_run)
    assert "errors" not in body, body["errors"]
    return body["data"][f"{kind}Import"]


def counts(payload: dict[str, Any]) -> tuple[int, int, int]:
    return payload["rowCount"], payload["createdCount"], payload["updatedCount"]


async def export(api, token: str, path: str, **params: str) -> str:
    response = await api.client.get(
        path, params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.text


async def customer_ids(api, tenant) -> dict[str, str]:
    nodes = (
        await api.ok("{ customers(first: 50) { nodes { id name } } }", token=tenant.admin.token)
    )["customers"]["nodes"]
    return {n["name"]: n["id"] for n in nodes}


def locations_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            n["customer"]["name"],
            n["name"],
            n["phone"],
            n["address"] and n["address"]["city"],
            n["address"] and n["address"]["country"],
            n["salesRep"] and n["salesRep"]["name"],
            n["version"],
        )
        for n in data["locations"]["nodes"]
    ]


async def test_locations_import_export_round_trip_and_revert(api, tenant):
    await send_customers(api, tenant.manager.token, CUSTOMERS)
    ids = await customer_ids(api, tenant)
    rep = (await api.ok("{ me { name } }", token=tenant.rep.token))["me"]["name"]
    first = await send(
        api,
        tenant.manager.token,
        "locations",
        "customerExternalId,customerId,name,phone,city,country,salesRep\n"
        f"OLD-1,,Main,+1 503 555 0100,Portland,us,{rep}\n"
        f",{ids['Acme Supply']},Warehouse,,Salem,,\n"
        "OLD-2,,Depot,,,,\n",
    )
    assert (counts(first), first["rowErrors"], first["userErrors"]) == ((3, 3, 0), [], [])
    listed = await api.ok(LOCATIONS, token=tenant.admin.token)
    assert locations_rows(listed) == [
        ("Acme Supply", "Main", "+1 503 555 0100", "Portland", "US", rep, 1),
        ("Acme Supply", "Warehouse", None, "Salem", None, None, 1),
        ("Bravo Bikes", "Depot", None, None, None, None, 1),
    ]
    text = await export(api, tenant.admin.token, "/export/locations.csv")
    lines = text.splitlines()
    assert lines[0] == (
        "id,customerId,customerExternalId,customer,name,phone,email,line1,line2,city,region,"
        "postalCode,country,salesRep,orderCount,totalSales,createdAt"
    )
    assert [line.split(",")[2:6] for line in lines[1:]] == [
        ["OLD-1", "Acme Supply", "Main", "+1 503 555 0100"],
        ["OLD-1", "Acme Supply", "Warehouse", ""],
        ["OLD-2", "Bravo Bikes", "Depot", ""],
    ]
    assert [line.split(",")[13:16] for line in lines[1:]] == [
        [rep, "0", "0.00"],
        ["", "0", "0.00"],
        ["", "0", "0.00"],
    ]
    # The export imports back unchanged: every row matched, nothing written.
    again = await send(api, tenant.manager.token, "locations", text)
    assert (counts(again), again["rowErrors"]) == ((3, 0, 3), [])
    assert await api.ok(LOCATIONS, token=tenant.admin.token) == listed

    # An edited export updates only what changed.
    edited = text.replace("Warehouse", "North Warehouse").replace(",Salem,", ",Eugene,")
    second = await send(api, tenant.manager.token, "locations", edited)
    assert counts(second) == (3, 0, 3)
    assert locations_rows(await api.ok(LOCATIONS, token=tenant.admin.token))[:2] == [
        ("Acme Supply", "Main", "+1 503 555 0100", "Portland", "US", rep, 1),
        ("Acme Supply", "North Warehouse", None, "Eugene", None, None, 2),
    ]
    reverted = await api.mutate(REVERT, {"id": second["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (1, 0)
    assert [
        row[:6] for row in locations_rows(await api.ok(LOCATIONS, token=tenant.admin.token))
    ] == [row[:6] for row in locations_rows(listed)]
    reverted = await api.mutate(REVERT, {"id": first["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (3, 0)
    assert (await api.ok(LOCATIONS, token=tenant.admin.token))["locations"]["nodes"] == []


async def test_bad_location_rows_are_listed_and_nothing_is_written(api, tenant, other_tenant):
    await send_customers(api, tenant.manager.token, CUSTOMERS)
    await send_customers(api, other_tenant.manager.token, "externalId,name\nTHEIRS,Their Co\n")
    theirs = (await customer_ids(api, other_tenant))["Their Co"]
    ours = (await customer_ids(api, tenant))["Cobalt"]
    result = await send(
        api,
        tenant.manager.token,
        "locations",
        "customerId,customerExternalId,name,country\n"
        f"{ours},,Fine,US\n"
        f"{theirs},,Stolen,\n"
        ",THEIRS,Also stolen,\n"
        ",OLD-1,,\n"
        ",,Nobody's,\n"
        f"{ours},OLD-1,Two customers,\n"
        f"{ours},,Bad country,USA\n",
    )
    assert counts(result)[0] == 7
    assert result["rowErrors"] == [
        {"row": 3, "field": "customerId", "message": f"No such customer: {theirs!r}."},
        {
            "row": 4,
            "field": "customerExternalId",
            "message": "No customer has externalId 'THEIRS'.",
        },
        {"row": 5, "field": "name", "message": "Name is required for a new location."},
        {
            "row": 6,
            "field": "customerId",
            "message": "A new location needs its customer: customerId or customerExternalId.",
        },
        {
            "row": 7,
            "field": "customerExternalId",
            "message": f"'OLD-1' is another customer than {ours!r}.",
        },
        {"row": 8, "field": "country", "message": "Not a two-letter country code: 'USA'."},
    ]
    assert result["userErrors"] == [
        {
            "field": ["input", "file"],
            "message": "6 row errors: nothing was written.",
            "code": "INVALID",
        }
    ]
    assert result["bulkOperationId"] is None
    assert (await api.ok(LOCATIONS, token=tenant.admin.token))["locations"]["nodes"] == []
    assert (await api.ok(LOCATIONS, token=other_tenant.admin.token))["locations"]["nodes"] == []
    dry = await send(api, tenant.manager.token, "locations", f"customerId,name\n{ours},A\n", True)
    assert (counts(dry), dry["bulkOperationId"]) == ((1, 1, 0), None)
    assert (await api.ok(LOCATIONS, token=tenant.admin.token))["locations"]["nodes"] == []
    unknown = await send(api, tenant.manager.token, "locations", "customerId,name,colour\n")
    assert [e["code"] for e in unknown["userErrors"]] == ["UNKNOWN_COLUMN"]
    refused = await post(api, tenant.rep.token, "locations", f"customerId,name\n{ours},A\n", False)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert (await api.ok(LOCATIONS, token=tenant.admin.token))["locations"]["nodes"] == []


async def test_contacts_import_keeps_one_primary_round_trips_and_reverts(api, tenant, other_tenant):
    await send_customers(api, tenant.manager.token, CUSTOMERS)
    ids = await customer_ids(api, tenant)
    await api.mutate(
        """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
          userErrors { code } } }""",
        {"input": {"customerId": ids["Bravo Bikes"], "name": "Bea Bravo"}},
        token=tenant.manager.token,
    )
    before = await api.ok(CONTACTS, token=tenant.admin.token)
    first = await send(
        api,
        tenant.manager.token,
        "contacts",
        "customerExternalId,name,title,email,phone,notes,isPrimary\n"
        "OLD-1,Ann Acme,Buyer,ann@acme.example,,Prefers mail,false\n"
        "OLD-1,Al Acme,,,+1 503 555 0101,,true\n"
        "OLD-2,Ben Bravo,,,,,true\n",
    )
    assert (counts(first), first["rowErrors"]) == ((3, 3, 0), [])
    shown = await api.ok(CONTACTS, token=tenant.admin.token)
    contacts = {n["name"]: n["contacts"] for n in shown["customers"]["nodes"]}
    # A customer's first contact is its primary; Bravo keeps its own.
    assert contacts == {
        "Acme Supply": [
            {
                "name": "Ann Acme",
                "title": "Buyer",
                "email": "ann@acme.example",
                "phone": None,
                "notes": "Prefers mail",
                "isPrimary": True,
                "version": 1,
            },
            {
                "name": "Al Acme",
                "title": None,
                "email": None,
                "phone": "+1 503 555 0101",
                "notes": None,
                "isPrimary": False,
                "version": 1,
            },
        ],
        "Bravo Bikes": [
            {
                "name": "Bea Bravo",
                "title": None,
                "email": None,
                "phone": None,
                "notes": None,
                "isPrimary": True,
                "version": 1,
            },
            {
                "name": "Ben Bravo",
                "title": None,
                "email": None,
                "phone": None,
                "notes": None,
                "isPrimary": False,
                "version": 1,
            },
        ],
        "Cobalt": [],
    }
    text = await export(api, tenant.admin.token, "/export/contacts.csv")
    assert text.splitlines()[0] == (
        "id,customerId,customerExternalId,customer,name,title,email,phone,mobile,fax,notes,isPrimary"
    )
    assert [line.split(",")[2:] for line in text.splitlines()[1:]] == [
        [
            "OLD-1",
            "Acme Supply",
            "Ann Acme",
            "Buyer",
            "ann@acme.example",
            "",
            "",
            "",
            "Prefers mail",
            "true",
        ],
        ["OLD-1", "Acme Supply", "Al Acme", "", "", "+1 503 555 0101", "", "", "", "false"],
        ["OLD-2", "Bravo Bikes", "Bea Bravo", "", "", "", "", "", "", "true"],
        ["OLD-2", "Bravo Bikes", "Ben Bravo", "", "", "", "", "", "", "false"],
    ]
    # Another company's export has none of them.
    assert (await export(api, other_tenant.admin.token, "/export/contacts.csv")).splitlines()[
        1:
    ] == []
    only = await export(
        api, tenant.admin.token, "/export/contacts.csv", customerIds=ids["Bravo Bikes"]
    )
    assert [line.split(",")[4] for line in only.splitlines()[1:]] == ["Bea Bravo", "Ben Bravo"]
    again = await send(api, tenant.manager.token, "contacts", text)
    assert (counts(again), again["rowErrors"]) == ((4, 0, 4), [])
    assert await api.ok(CONTACTS, token=tenant.admin.token) == shown
    # Another company cannot import into these customers or contacts.
    theirs = await send(api, other_tenant.manager.token, "contacts", text)
    assert [(e["row"], e["field"]) for e in theirs["rowErrors"]] == [
        (row, field) for row in (2, 3, 4, 5) for field in ("customerId", "id")
    ]
    reverted = await api.mutate(REVERT, {"id": first["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (3, 0)
    assert await api.ok(CONTACTS, token=tenant.admin.token) == before


async def test_statements_stay_constant_as_the_file_grows(api, tenant):
    """Per batch: one read of its rows, one or two of its customers, one INSERT, one
    INSERT of audit events: 3 contacts or 60 cost the same on PostgreSQL. SQLite gives
    no order to RETURNING rows, so SQLAlchemy sends an INSERT … RETURNING a row there
    (in-process calls; the customer import does the same)."""
    await send_customers(api, tenant.manager.token, CUSTOMERS)
    ids = await customer_ids(api, tenant)
    used = []
    for size in (3, 60):
        rows = "".join(
            f"{ids['Cobalt']},,Person {size}-{n}\n" if n % 2 else f",OLD-1,Person {size}-{n}\n"
            for n in range(size)
        )
        before = api.db.statements
        result = await send(
            api, tenant.manager.token, "contacts", f"customerId,customerExternalId,name\n{rows}"
        )
        used.append(api.db.statements - before)
        assert counts(result) == (size, size, 0)
    assert used[1] - used[0] == (57 if api.db.sqlite else 0)


async def test_a_locations_file_over_the_limit_is_refused_while_streaming(
    api, tenant, settings, monkeypatch
):
    # The settings are the session's: the limit must not outlive this test.
    monkeypatch.setattr(settings, "import_max_bytes", 1000)
    result = await send(
        api,
        tenant.manager.token,
        "locations",
        "customerExternalId,name\n" + "OLD-1,Main\n" * 10_000,
    )
    assert [e["code"] for e in result["userErrors"]] == ["FILE_TOO_LARGE"]
    assert counts(result) == (0, 0, 0)
    assert (await api.ok(LOCATIONS, token=tenant.admin.token))["locations"]["nodes"] == []


def test_the_import_commands_load_locations_and_contacts(tmp_path):
    from click.testing import CliRunner

    from server.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    _, slug, _ = run("company", "create", "Importer", "--database", url)
    slug = slug.strip()
    staff = ("--company", slug, "--email", "a@importer.example", "--name", "Ann")
    run("staff", "create", "--database", url, *staff, "--role", "ADMIN", "--password", "x" * 12)
    customers = tmp_path / "customers.csv"
    customers.write_text("externalId,name\nE-1,Acme\n")
    assert run("import", "customers", str(customers), "--company", slug, "--database", url)[0] == 0
    locations = tmp_path / "locations.csv"
    locations.write_text("customerExternalId,name,city\nE-1,Main,Portland\nE-1,Depot,Salem\n")
    target = ("--company", slug, "--database", url)
    code, out, _ = run("import", "locations", str(locations), *target, "--dry-run")
    assert (code, out) == (0, "2 rows: 2 to create, 0 to update (dry run: nothing was written).\n")
    code, out, _ = run("import", "locations", str(locations), *target)
    assert code == 0 and out.startswith("2 rows: 2 to create, 0 to update: done. Bulk operation ")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("customerExternalId,name,email\nE-1,Ann,ann@acme.example\nE-9,Bob,\n")
    code, _, err = run("import", "contacts", str(contacts), *target)
    assert code == 1
    assert "line 3: customerExternalId: No customer has externalId 'E-9'." in err
    assert "1 row errors: nothing was written." in err
