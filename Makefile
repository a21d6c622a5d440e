PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# npm's pinned packages (package-lock.json): GraphiQL's browser files, the HTTP audit suite,
# the schema linter.
GRAPHIQL_MODULES := server/graphiql/node_modules/.package-lock.json
AUDIT_MODULES := tests/graphql_http_audit/node_modules/.package-lock.json
SCHEMA_LINT_MODULES := tests/schema_lint/node_modules/.package-lock.json
PEER_MODULES := bench/peer/node_modules/.package-lock.json
NPM_CI := npm ci --no-audit --no-fund --loglevel=error

.PHONY: install run test bench bench-peer load schema lint typecheck audit lock clean migration-regen fuzz crash

# Installs exactly the locked, hashed versions (runtime + dev); the project itself without
# dependencies, so nothing unlocked comes in. `make lock` is the only way versions move.
$(STAMP): pyproject.toml requirements-dev.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Upgrade on purpose: re-resolve everything to the newest versions pyproject.toml allows
# (the engine pins stay put), with hashes, for every platform. Review the diff, run the suite.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal \
	--python-version 3.11 --custom-compile-command "make lock" --upgrade --quiet
lock:
	test -x $(BIN)/uv || { test -d $(VENV) || $(PYTHON) -m venv $(VENV); $(BIN)/pip install --quiet uv; }
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -o requirements-dev.lock

# Without npm the server still runs: its GraphiQL page then loads the same pinned files
# from a CDN and says so (server/graphiql/assets.py).
$(GRAPHIQL_MODULES): server/graphiql/package.json server/graphiql/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		$(NPM_CI) --prefix server/graphiql; \
	else \
		echo "warning: npm (Node.js 20+) not found: GraphiQL's files cannot be installed;" \
			"its page will load them from unpkg.com (needs internet)." >&2; \
	fi

$(AUDIT_MODULES): tests/graphql_http_audit/package.json tests/graphql_http_audit/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		$(NPM_CI) --prefix tests/graphql_http_audit; \
	else \
		echo "warning: npm not found: the GraphQL-over-HTTP audit test will be skipped." >&2; \
	fi

$(SCHEMA_LINT_MODULES): tests/schema_lint/package.json tests/schema_lint/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		$(NPM_CI) --prefix tests/schema_lint; \
	else \
		echo "warning: npm not found: the schema linter test will be skipped." >&2; \
	fi

$(PEER_MODULES): bench/peer/package.json bench/peer/package-lock.json
	$(NPM_CI) --prefix bench/peer

install: $(STAMP) $(GRAPHIQL_MODULES)

# `make run PORT=8123` when 8000 is taken (serve says so before doing anything).
PORT ?= 8000
run: install
	$(BIN)/rolodex serve --demo --port $(PORT)

# The tests whose answers go through GraphQL execution of nested pages: run once more on
# the regular executor alone (schema/planner.py off), as the whole suite can be with
# ROLODEX_PLANNED_EXECUTION=0 make test.
EXECUTION_TESTS := tests/test_planner.py tests/test_customers_list.py \
	tests/test_customer_page.py tests/test_statements.py tests/test_query_cost.py

# Both databases: SQLite always, PostgreSQL when one answers (CI insists on it).
test: install $(AUDIT_MODULES) $(SCHEMA_LINT_MODULES)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python tools/audit.py
	$(BIN)/python -m pytest
	ROLODEX_PLANNED_EXECUTION=0 $(BIN)/python -m pytest $(EXECUTION_TESTS)

# Long forms of the suites make test runs short (docs/errors-and-honesty.md).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	ROLODEX_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ROLODEX_FUZZ_BACKENDS=sqlite,postgres \
		$(BIN)/python -m pytest tests/test_fuzz.py

CRASH_ROUNDS ?= 10
crash: $(STAMP)
	ROLODEX_CRASH_ROUNDS=$(CRASH_ROUNDS) $(BIN)/python -m pytest tests/test_crash_safety.py

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Rolodex beside PostGraphile 5 (pinned, bench/peer/) on the same PostgreSQL data, a few
# minutes: seeds rolodex_bench_10000_42 the first time (docs/peer-benchmark.md).
bench-peer: $(STAMP) $(PEER_MODULES)
	$(BIN)/python -m bench.peer $(PEER_ARGS)

# Loopback load, bounded in time: 16 clients alone, then beside an abusive one (bench/load.py).
load: $(STAMP)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

schema: $(STAMP)
	$(BIN)/rolodex export-schema > schema.graphql

# Known vulnerabilities in the locked versions (tools/audit.py says why it wraps pip-audit).
audit: $(STAMP)
	$(BIN)/python tools/audit.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over every package (pyproject.toml [tool.mypy]; resolvers/ and db/ fully annotated).
typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) *.egg-info rolodex.db rolodex.db-* test-artifacts \
		server/graphiql/node_modules tests/graphql_http_audit/node_modules \
		tests/schema_lint/node_modules bench/peer/node_modules

# Before the first release only: rewrite the initial migration from db/models.py.
# The hand-written migrations after it (search indexes) step aside meanwhile.
migration-regen: $(STAMP)
	rm -rf /tmp/rolodex-regen && mkdir -p /tmp/rolodex-regen/later
	mv db/migrations/versions/000[2-9]_*.py /tmp/rolodex-regen/later/
	rm -f db/migrations/versions/0001_initial_schema.py
	$(BIN)/python -c "from alembic import command; from db.migrate import alembic_config; \
	command.revision(alembic_config('sqlite+aiosqlite:////tmp/rolodex-regen/empty.db'), \
	message='initial schema', autogenerate=True, rev_id='0001')"
	mv /tmp/rolodex-regen/later/*.py db/migrations/versions/
	$(BIN)/ruff check --fix -q --select I db/migrations/versions/0001_initial_schema.py
	$(BIN)/ruff format db/migrations/versions/0001_initial_schema.py
