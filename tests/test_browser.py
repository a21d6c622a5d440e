"""GraphiQL in a real browser: Debian's Chromium driven by Playwright against a live server.

The page must load with no request to another origin, sign in through its form, run the
CustomerList example and show the customers. The screenshot is kept in
test-artifacts/graphiql-customer-list-<backend>.png (ROLODEX_TEST_ARTIFACTS moves it).
Skipped only where Chromium is not installed; CI (.ci/run) installs it with apt and sets
ROLODEX_TEST_REQUIRE_BROWSER=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.ledger_factory import make_customer, make_order
from tests.live_server import REPO, live_server

CHROMIUM = Path("/usr/bin/chromium")
# Chromium on a closed network: no background calls home (this machine refuses them).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("ROLODEX_TEST_ARTIFACTS", REPO / "test-artifacts"))
CUSTOMERS = ("Alder Street Bakery", "Birch Hardware", "Cedar Pharmacy")


@pytest.fixture(scope="module")
def chromium():
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            from playwright.async_api import async_playwright  # noqa: F401
        except ImportError as error:
            missing = f"the playwright package is missing ({error})"
    if missing:
        if os.environ.get("ROLODEX_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser test is required here but {missing}")
        pytest.skip(f"browser test skipped: {missing}")
    return CHROMIUM


@pytest.fixture
def screenshot(request) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"graphiql-customer-list-{request.node.callspec.params['database']}.png"


async def _seed(api, tenant) -> None:
    rep = tenant.rep.global_id
    for name in CUSTOMERS:
        await make_customer(api, tenant, name, salesRepId=rep)
    # One with an invoiced order, so a stats column shows a real amount.
    birch = await api.ok(
        "query($s: String!) { customers(filter: {search: $s}) { nodes { id } } }",
        {"s": "Birch"},
        token=tenant.admin.token,
    )
    await make_order(api, tenant, birch["customers"]["nodes"][0]["id"], 123450)


async def test_graphiql_signs_in_and_lists_customers(
    chromium, screenshot, api, tenant, database, tmp_path
):
    from playwright.async_api import async_playwright

    await _seed(api, tenant)
    seen = Seen()

    with live_server(database.url, tmp_path / "server.log") as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(chromium), args=CHROMIUM_ARGS
            )
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1700})
                seen.watch(page)
                token, png = await _sign_in_and_list(page, base, tenant, screenshot)
            finally:
                await browser.close()

    assert seen.origins == {base}, seen.origins
    assert seen.problems == []
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    # Sign-out revoked the token on the server too.
    body = await api.gql("{ me { name } }", token=token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class Seen:
    """Every origin the page requested, and every console error or uncaught exception
    (a Content-Security-Policy violation is a console error)."""

    def __init__(self) -> None:
        self.origins: set[str] = set()
        self.problems: list[str] = []

    def watch(self, page) -> None:
        page.on("request", lambda r: self.origins.add(_origin(r.url)))
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda error: self.problems.append(str(error)))


async def _sign_in_and_list(page, base: str, tenant, screenshot: Path) -> tuple[str, bytes]:
    """Signs in through the form, runs CustomerList, signs out: (the token, the PNG)."""
    await page.goto(f"{base}/graphql")
    await page.locator(".graphiql-container").wait_for(timeout=30_000)
    tabs = await page.locator(".graphiql-tab").all_inner_texts()
    assert [tab.strip() for tab in tabs] == [
        "CustomerList",
        "CustomerRelationship",
        "InteractionsThisMonth",
        "AgingReport",
    ]

    sidebar = await page.locator(".graphiql-sidebar button").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('aria-label'))"
    )
    assert {"Show Examples", "Show GraphiQL Explorer"} <= set(sidebar), sidebar

    await page.fill("input[name=email]", tenant.admin.email)
    await page.fill("input[name=password]", PASSWORD)
    # Signed out, GraphiQL asked for no schema; signed in, it loads it.
    async with page.expect_response(_operation("IntrospectionQuery")) as introspected:
        await page.click("#rolodex-sign-in button[type=submit]")
    schema = (await (await introspected.value).json())["data"]["__schema"]
    assert schema["queryType"] == {"name": "Query"}
    await page.locator("#rolodex-signed-in").wait_for(state="visible", timeout=15_000)
    tag = tenant.admin.email.removeprefix("admin-").split("@")[0]
    assert await page.inner_text(".rolodex-staff-name") == f"Admin {tag}"
    assert await page.is_hidden("#rolodex-sign-in")
    token = await page.evaluate("sessionStorage.getItem('rolodex.token')")
    assert token and token not in await page.evaluate("JSON.stringify(localStorage)")

    async with page.expect_response(_operation("CustomerList")) as answered:
        await page.click(".graphiql-execute-button")
    data = (await (await answered.value).json())["data"]["customers"]
    assert data["totalCount"] == 3
    assert [(c["name"], c["totalSales"]) for c in data["nodes"]] == [
        ("Alder Street Bakery", "0.00"),
        ("Birch Hardware", "1234.50"),
        ("Cedar Pharmacy", "0.00"),
    ]
    # What the analyst sees: the rows in GraphiQL's result pane (CodeMirror draws only
    # the lines in view, and these are the first ones).
    result = page.locator(".result-window", has_text="1234.50")
    await result.wait_for(timeout=30_000)
    text = await result.inner_text()
    assert '"totalCount": 3' in text
    assert text.index('"Alder Street Bakery"') < text.index('"Birch Hardware"'), text
    png = await page.screenshot(path=str(screenshot))

    await page.click(".rolodex-sign-out")
    await page.locator("#rolodex-sign-in").wait_for(state="visible", timeout=10_000)
    assert await page.evaluate("sessionStorage.getItem('rolodex.token')") is None
    # The sign-out's logout request, before the browser closes.
    await page.wait_for_load_state("networkidle")
    return token, png


def _operation(name: str):
    def matches(response) -> bool:
        return f'"operationName":"{name}"' in (response.request.post_data or "")

    return matches


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else "local"
