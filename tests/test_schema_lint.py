"""graphql-schema-linter (npm, pinned in tests/schema_lint) on schema.graphql: every type,
field, argument, input field and enum value is described, and the other default rules
hold except those tests/schema_lint/.graphql-schema-linterrc turns off, with its reasons."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.live_server import REPO

LINT_DIR = REPO / "tests" / "schema_lint"
LINTER = LINT_DIR / "node_modules" / ".bin" / "graphql-schema-linter"


def test_schema_graphql_passes_the_schema_linter():
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm is not installed: graphql-schema-linter needs Node.js")
    if not LINTER.exists():
        pytest.fail("tests/schema_lint/node_modules is missing: `make test` runs npm ci")
    run = subprocess.run(
        [str(LINTER), "--config-directory", str(LINT_DIR), "--format", "json", "schema.graphql"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = json.loads(run.stdout)["errors"]
    assert errors == [], "\n".join(f"{e['location']['line']}: {e['message']}" for e in errors)
    assert run.returncode == 0, run.stderr


def test_the_linter_config_names_a_reason_for_every_rule_it_turns_off():
    config = json.loads((LINT_DIR / ".graphql-schema-linterrc").read_text())
    rules_dir = LINT_DIR / "node_modules" / "graphql-schema-linter" / "lib" / "rules"
    if not rules_dir.is_dir():
        pytest.skip("tests/schema_lint/node_modules is missing")
    every_rule = {path.stem.replace("_", "-") for path in rules_dir.glob("*.js")}
    turned_off = every_rule - set(config["rules"])
    assert turned_off == set(config["disabledRules"])
    assert all(len(reason) > 20 for reason in config["disabledRules"].values())
