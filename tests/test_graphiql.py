"""GraphiQL's page and assets as served (the browser drives it in tests/test_browser.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from graphql import OperationDefinitionNode, parse, validate

from schema import schema as default_schema
from server.app import create_app
from server.graphiql import GraphiQLPage, graphiql_csp
from server.graphiql.assets import HERE, NODE_MODULES, VENDOR_FILES, Assets, pinned_versions, sri
from server.graphiql.examples import load_examples
from tests.ledger_factory import make_customer, make_order

EXAMPLE_NAMES = ["CustomerList", "CustomerRelationship", "InteractionsThisMonth", "AgingReport"]
INSTALLED = all((NODE_MODULES / v.package / v.path).is_file() for v in VENDOR_FILES)
needs_npm_files = pytest.mark.skipif(
    not INSTALLED, reason="server/graphiql/node_modules is missing: `make install` runs npm ci"
)


def page_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@needs_npm_files
async def test_the_page_loads_everything_from_this_server(api):
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    assert page.headers["cache-control"] == "no-cache"
    html = page.text
    for fragment in (
        '<input name="email" type="email"',
        '<input name="password" type="password"',
        '<button type="submit">Sign in</button>',
        'class="rolodex-sign-out"',
    ):
        assert fragment in html
    assert "<script>" not in html  # no inline script: the CSP would refuse it
    assert "unpkg" not in html and "rolodex-notice" not in html

    urls = page_urls(html)
    assert urls[0] == "data:,"  # the favicon: no request for /favicon.ico
    assets = urls[1:]
    names = [url.rsplit("/", 1)[1] for url in assets]
    assert names == [
        "graphiql.min.css",
        "style.css",
        "rolodex-graphiql.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "index.umd.js",
        "rolodex-graphiql.js",
    ]
    for url in assets:
        # Relative to the page: the same under a proxy's path prefix.
        assert url.startswith("graphiql/assets/")
        served = await api.client.get(f"/{url}")
        assert served.status_code == 200
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        kind = "text/javascript" if url.endswith(".js") else "text/css"
        assert served.headers["content-type"] == f"{kind}; charset=utf-8"
        # The integrity the page names is the file's.
        assert f'href="{url}" integrity="{sri(served.content)}"' in html or (
            f'src="{url}" integrity="{sri(served.content)}"' in html
        )
        compressed = await api.client.get(f"/{url}", headers={"Accept-Encoding": "gzip"})
        assert compressed.headers["content-encoding"] == "gzip"
        assert len(compressed.content) == len(served.content)  # httpx decoded it
        assert int(compressed.headers["content-length"]) < len(served.content)

    stale = await api.client.get("/graphiql/assets/0000000000000000/graphiql.min.js")
    assert stale.status_code == 404
    assert stale.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@needs_npm_files
def test_recorded_integrity_is_the_installed_files():
    for vendor in VENDOR_FILES:
        content = (NODE_MODULES / vendor.package / vendor.path).read_bytes()
        assert sri(content) == vendor.integrity, f"{vendor.package}/{vendor.path}"


def test_versions_are_pinned_and_locked():
    lock = json.loads((HERE / "package-lock.json").read_text())
    versions = pinned_versions()
    assert set(versions) == {
        "graphiql",
        "@graphiql/plugin-explorer",
        "react",
        "react-dom",
        "graphql",
    }
    for package, version in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (package, version)
        assert lock["packages"][f"node_modules/{package}"]["version"] == version


def test_without_npm_files_the_page_says_so_and_uses_the_cdn(tmp_path):
    assets = Assets.load(node_modules=tmp_path)
    assert not assets.installed
    page = GraphiQLPage(assets=assets)
    assert page.csp == graphiql_csp(cdn=True)
    assert "script-src 'self' https://unpkg.com" in page.csp
    assert 'class="rolodex-notice" role="alert"' in page.html
    assert "Install Node.js 20 or newer and run `make install`" in page.html
    versions = pinned_versions()
    cdn = [url for url in page_urls(page.html) if url.startswith("https://")]
    assert cdn == [
        f"https://unpkg.com/graphiql@{versions['graphiql']}/graphiql.min.css",
        f"https://unpkg.com/@graphiql/plugin-explorer@{versions['@graphiql/plugin-explorer']}/dist/style.css",
        f"https://unpkg.com/react@{versions['react']}/umd/react.production.min.js",
        f"https://unpkg.com/react-dom@{versions['react-dom']}/umd/react-dom.production.min.js",
        f"https://unpkg.com/graphiql@{versions['graphiql']}/graphiql.min.js",
        f"https://unpkg.com/@graphiql/plugin-explorer@{versions['@graphiql/plugin-explorer']}/dist/index.umd.js",
    ]
    for vendor in VENDOR_FILES:
        assert f'integrity="{vendor.integrity}" crossorigin="anonymous"' in page.html
    # This page's own code still comes from this server.
    assert sum(url.startswith("graphiql/assets/") for url in page_urls(page.html)) == 2


async def test_graphiql_off_is_a_json_404(database, settings):
    import httpx

    app = create_app(settings.model_copy(update={"graphiql": False}), database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await client.get("/graphiql/assets/x/graphiql.min.js")).status_code == 404


def test_examples_are_named_and_valid_against_the_schema():
    examples = load_examples()
    assert [example.name for example in examples] == EXAMPLE_NAMES
    for example in examples:
        document = parse(example.query)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        assert [o.name.value for o in operations] == [example.name]
        assert validate(default_schema._schema, document) == [], example.name
        declared = {v.variable.name.value for v in operations[0].variable_definitions}
        given = set(example.variables) | {example.month_start_variable} - {None}
        assert given <= declared, example.name


async def run_example(api, token: str, name: str, **variables):
    (example,) = [e for e in load_examples() if e.name == name]
    return await api.ok(example.query, {**example.variables, **variables}, token=token)


async def test_examples_answer_the_common_questions(api, tenant):
    rep = tenant.rep.global_id
    harbor = await make_customer(api, tenant, "Harbor Street Grocers", salesRepId=rep)
    await make_customer(api, tenant, "Acme Supplies")
    await make_order(api, tenant, harbor, 25000, due_date=datetime(2026, 1, 1, tzinfo=UTC).date())
    await api.mutate(
        """mutation($input: InteractionCreateInput!) { interactionCreate(input: $input) {
          interaction { id } userErrors { field code message } } }""",
        {"input": {"customerId": harbor, "kind": "CALL", "body": "Asked about the new catalogue."}},
        token=tenant.rep.token,
    )
    token = tenant.admin.token
    rep_name = f"Rep {tenant.rep.email.removeprefix('rep-').split('@')[0]}"

    listed = (await run_example(api, token, "CustomerList"))["customers"]
    assert listed["totalCount"] == 2
    assert [
        (c["name"], c["orderCount"], c["totalSales"], c["balance"]["currentBalance"])
        for c in listed["nodes"]
    ] == [
        ("Acme Supplies", 0, "0.00", "0.00"),
        ("Harbor Street Grocers", 1, "250.00", "250.00"),
    ]
    assert listed["nodes"][1]["salesRep"] == {"name": rep_name}

    (relationship,) = (await run_example(api, token, "CustomerRelationship"))["customers"]["nodes"]
    assert relationship["name"] == "Harbor Street Grocers"
    assert relationship["salesRep"]["name"] == rep_name
    assert relationship["interactions"]["totalCount"] == 1
    assert relationship["interactions"]["nodes"][0]["body"] == "Asked about the new catalogue."

    month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = await run_example(
        api, token, "InteractionsThisMonth", **{"from": month_start.date().isoformat()}
    )
    assert this_month["interactions"]["totalCount"] == 1
    assert this_month["interactions"]["nodes"][0]["customer"] == {"name": "Harbor Street Grocers"}

    aging = (await run_example(api, token, "AgingReport"))["agingReport"]
    assert [(row["customer"]["name"], row["total"], row["over90"]) for row in aging["rows"]] == [
        ("Harbor Street Grocers", "250.00", "250.00")
    ]
    assert aging["totals"]["total"] == "250.00"
