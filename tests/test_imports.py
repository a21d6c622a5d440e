"""customersImport: CSV shaped like the export, checked whole, all or nothing, undoable."""

from __future__ import annotations

import json
from typing import Any

from tests.test_attachments import PREFLIGHT

IMPORT = """mutation($input: CustomersImportInput!) { customersImport(input: $input) {
  rowCount createdCount updatedCount bulkOperationId
  rowErrors { row field message } userErrors { field message code } } }"""
REVERT = """mutation($id: ID!) { bulkOperationRevert(id: $id) {
  restoredCount skippedCount userErrors { code } } }"""
LIST = """{ customers(first: 50) { totalCount nodes {
  name externalId email phone status discountPercent salesRep { name } paymentTerms { name }
  possibleDuplicates { name } version } } }"""
COLUMNS = "id,externalId,name,kind,status,email,phone,discountPercent,paymentTerms,billingCity"


async def send(api, token: str, content: str, dry_run: bool = False) -> dict[str, Any]:
    operations = {"query": IMPORT, "variables": {"input": {"file": None, "dryRun": dry_run}}}
    response = await api.client.post(
        "/graphql",
        files={
            "operations": (None, json.dumps(operations)),
            "map": (None, json.dumps({"0": ["variables.input.file"]})),
            "0": ("customers.csv", content.encode(), "text/csv"),
        },
        headers={"Authorization": f"Bearer {token}", **PREFLIGHT},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["customersImport"]


async def customers(api, tenant) -> list[dict[str, Any]]:
    return (await api.ok(LIST, token=tenant.admin.token))["customers"]["nodes"]


GOOD = (
    "externalId,name,email,phone,status,discountPercent,paymentTerms,salesRep\n"
    "OLD-1,Acme Supply,orders@acme.example,+1 503 555 0100,ACTIVE,5.00,Net 30,{rep}\n"
    "OLD-2,Bravo Bikes,,,prospect,,,\n"
    'OLD-3,"Café ""Olé""",cafe@ole.example,,INACTIVE,12.5,Due on receipt,\n'
)


async def test_import_creates_then_updates_and_revert_undoes_each(api, tenant):
    rep = (await api.ok("{ me { name } }", token=tenant.rep.token))["me"]["name"]
    first = await send(api, tenant.manager.token, GOOD.format(rep=rep))
    assert {k: first[k] for k in ("rowCount", "createdCount", "updatedCount", "rowErrors")} == {
        "rowCount": 3,
        "createdCount": 3,
        "updatedCount": 0,
        "rowErrors": [],
    }
    assert first["userErrors"] == []
    rows = await customers(api, tenant)
    assert [
        (c["name"], c["externalId"], c["status"], c["discountPercent"], c["paymentTerms"])
        for c in rows
    ] == [
        ("Acme Supply", "OLD-1", "ACTIVE", "5.00", {"name": "Net 30"}),
        ("Bravo Bikes", "OLD-2", "PROSPECT", "0.00", None),
        ('Café "Olé"', "OLD-3", "INACTIVE", "12.50", {"name": "Due on receipt"}),
    ]
    assert rows[0]["salesRep"] == {"name": rep}

    # The same ids again: updates (only changed fields), plus one new customer.
    second = await send(
        api,
        tenant.manager.token,
        "externalId,name,email\n"
        "OLD-1,Acme Supply Co,orders@acme.example\n"
        "OLD-2,Bravo Bikes,\n"
        "NEW-9,ACME SUPPLY,\n",
    )
    assert (second["createdCount"], second["updatedCount"]) == (1, 2)
    after = {c["externalId"]: c for c in await customers(api, tenant)}
    assert after["OLD-1"]["name"] == "Acme Supply Co"
    assert after["OLD-1"]["version"] == 2
    assert after["OLD-2"]["version"] == 1  # nothing changed: not written
    assert [d["name"] for d in after["NEW-9"]["possibleDuplicates"]] == ["Acme Supply Co"]

    reverted = await api.mutate(REVERT, {"id": second["bulkOperationId"]}, token=tenant.admin.token)
    assert (reverted["restoredCount"], reverted["skippedCount"]) == (2, 0)
    assert [(c["name"], c["externalId"]) for c in await customers(api, tenant)] == [
        ("Acme Supply", "OLD-1"),
        ("Bravo Bikes", "OLD-2"),
        ('Café "Olé"', "OLD-3"),
    ]
    await api.mutate(REVERT, {"id": first["bulkOperationId"]}, token=tenant.admin.token)
    assert await customers(api, tenant) == []


async def test_every_bad_row_is_listed_and_nothing_is_written(api, tenant):
    content = (
        "externalId,name,email,status,discountPercent,salesRep,id\n"
        "A-1,Good One,good@example.com,ACTIVE,1,,\n"
        "A-2,,bad-email,SLEEPING,101,Nobody,\n"
        "A-1,Twice,,,,,\n"
        ",Stranger,,,,,Q3VzdG9tZXI6OTk5OTk5\n"
    )
    for dry_run in (True, False):
        result = await send(api, tenant.manager.token, content, dry_run=dry_run)
        assert result["rowCount"] == 4
        assert result["bulkOperationId"] is None
        assert result["rowErrors"] == [
            {"row": 3, "field": "email", "message": "Not a valid email address: 'bad-email'."},
            {
                "row": 3,
                "field": "status",
                "message": "Not one of ACTIVE, INACTIVE, PROSPECT, ARCHIVED: 'SLEEPING'.",
            },
            {
                "row": 3,
                "field": "discountPercent",
                "message": result["rowErrors"][2]["message"],
            },
            {"row": 3, "field": "salesRep", "message": "No active staff member called 'Nobody'."},
            {"row": 4, "field": "externalId", "message": "'A-1' appears twice in the file."},
            {"row": 5, "field": "id", "message": "No such customer: 'Q3VzdG9tZXI6OTk5OTk5'."},
        ]
        assert result["userErrors"] == [
            {
                "field": ["input", "file"],
                "message": "6 row errors: nothing was written.",
                "code": "INVALID",
            }
        ]
    assert await customers(api, tenant) == []


async def test_unknown_columns_and_roles_are_refused(api, tenant):
    result = await send(api, tenant.manager.token, "name,shoeSize\nAcme,42\n")
    assert result["userErrors"][0]["code"] == "UNKNOWN_COLUMN"
    assert result["userErrors"][0]["message"].startswith("Unknown columns: shoeSize.")
    operations = {"query": IMPORT, "variables": {"input": {"file": None}}}
    response = await api.client.post(
        "/graphql",
        files={
            "operations": (None, json.dumps(operations)),
            "map": (None, json.dumps({"0": ["variables.input.file"]})),
            "0": ("c.csv", b"name\nAcme\n", "text/csv"),
        },
        headers={"Authorization": f"Bearer {tenant.rep.token}", **PREFLIGHT},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_export_imports_back_unchanged(api, tenant, other_tenant):
    rep = (await api.ok("{ me { name } }", token=tenant.rep.token))["me"]["name"]
    await send(api, tenant.manager.token, GOOD.format(rep=rep))
    headers = {"Authorization": f"Bearer {tenant.manager.token}"}
    exported = await api.client.get(
        "/export/customers.csv",
        params={"columns": COLUMNS + ",salesRep,orderCount"},
        headers=headers,
    )
    assert exported.text.splitlines()[0] == COLUMNS + ",salesRep,orderCount"
    before = await customers(api, tenant)
    again = await send(api, tenant.manager.token, exported.text)
    assert (again["createdCount"], again["updatedCount"], again["rowErrors"]) == (0, 3, [])
    assert await customers(api, tenant) == before
    # Another company's ids are not this company's customers.
    theirs = await send(api, other_tenant.manager.token, exported.text)
    assert [e["field"] for e in theirs["rowErrors"]] == ["salesRep", "id", "id", "id"]


async def test_a_file_over_the_limit_is_refused_while_streaming(api, tenant, settings, monkeypatch):
    # The settings are the session's: the limit must not outlive this test.
    monkeypatch.setattr(settings, "import_max_bytes", 1000)
    result = await send(api, tenant.manager.token, "name\n" + "Acme Supply\n" * 10_000)
    assert result["userErrors"][0]["code"] == "FILE_TOO_LARGE"
    assert result["rowCount"] == 0
    assert await customers(api, tenant) == []


def test_the_import_command_checks_then_loads_a_file(tmp_path):
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
    good = tmp_path / "good.csv"
    good.write_text("externalId,name,email\nE-1,Acme,a@acme.example\nE-2,Bravo,\n")
    code, out, _ = run(
        "import", "customers", str(good), "--company", slug, "--database", url, "--dry-run"
    )
    assert (code, out) == (0, "2 rows: 2 to create, 0 to update (dry run: nothing was written).\n")
    code, out, _ = run("import", "customers", str(good), "--company", slug, "--database", url)
    assert code == 0 and out.startswith("2 rows: 2 to create, 0 to update: done. Bulk operation ")
    bad = tmp_path / "bad.csv"
    bad.write_text("externalId,name,email\nE-1,Acme,not-an-email\n")
    code, _, err = run("import", "customers", str(bad), "--company", slug, "--database", url)
    assert code == 1
    assert "line 2: email: Not a valid email address: 'not-an-email'." in err
    assert "1 row errors: nothing was written." in err


async def test_many_batches_read_and_write_alike(api, tenant, monkeypatch):
    import resolvers.imports

    monkeypatch.setattr(resolvers.imports, "BATCH_ROWS", 2)
    monkeypatch.setattr(resolvers.imports, "ANALYZE_EVERY", 2)
    rows = "".join(f"E-{n},Shop {n}\n" for n in range(7))
    first = await send(api, tenant.manager.token, "externalId,name\n" + rows)
    assert (first["rowCount"], first["createdCount"]) == (7, 7)
    again = await send(api, tenant.manager.token, "externalId,name\nE-6,Shop Six\n" + rows)
    # E-6 is listed twice: the second time (line 9) is refused, in the last batch.
    assert again["rowErrors"] == [
        {"row": 9, "field": "externalId", "message": "'E-6' appears twice in the file."}
    ]
    names = [c["name"] for c in await customers(api, tenant)]
    assert names == [f"Shop {n}" for n in range(7)]
