"""graphql-http's audit suite (npm, pinned in tests/graphql_http_audit) against a live
server: every audit, MUST, SHOULD and MAY, must pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.live_server import REPO, live_server

AUDIT_DIR = REPO / "tests" / "graphql_http_audit"
AUDIT_COUNT = 61


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed: the graphql-http audit suite needs it")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        pytest.fail("tests/graphql_http_audit/node_modules is missing: `make test` runs npm ci")
    return found


def test_every_graphql_over_http_audit_passes(node, database, tenant, tmp_path):
    with live_server(database.url, tmp_path / "server.log") as base:
        run = subprocess.run(
            [node, "audit.mjs", f"{base}/graphql"],
            cwd=AUDIT_DIR,
            env={**os.environ, "ROLODEX_TOKEN": tenant.rep.token},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    failed = [result for result in results if result["status"] != "ok"]
    assert failed == [], json.dumps(failed, indent=1)
    assert len(results) == AUDIT_COUNT
    levels = [result["name"].split()[0] for result in results]
    assert {level: levels.count(level) for level in ("MUST", "SHOULD", "MAY")} == {
        "MUST": 13,
        "SHOULD": 23,
        "MAY": 25,
    }
