PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench schema lint clean migration-regen

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rolodex serve --demo

# Both databases: SQLite always, PostgreSQL when one answers (CI insists on it).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

schema: $(STAMP)
	$(BIN)/rolodex export-schema > schema.graphql

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) *.egg-info rolodex.db rolodex.db-*

# Before the first release only: rewrite the initial migration from db/models.py.
migration-regen: $(STAMP)
	rm -f db/migrations/versions/0001_initial_schema.py /tmp/rolodex-regen.db
	$(BIN)/python -c "from alembic import command; from db.migrate import alembic_config; \
	command.revision(alembic_config('sqlite+aiosqlite:////tmp/rolodex-regen.db'), \
	message='initial schema', autogenerate=True, rev_id='0001')"
	$(BIN)/ruff format db/migrations/versions/0001_initial_schema.py
