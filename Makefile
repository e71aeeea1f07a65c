# The two commands a new user types: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run lint test test-sqlite soak bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Sets up, migrates, loads the example documents and serves on http://$(HOST)/
run: $(BIN)/.installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py import_docs examples
	DJANGO_DEBUG=$${DJANGO_DEBUG:-True} $(BIN)/python manage.py runserver $(HOST)

# ruff's lint rules and layout, the import contracts of pyproject.toml (the areas' boundaries), the Dockerfile.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/hadolint Dockerfile

# Lint first (CI fails on it), then every test, on SQLite and (when PostgreSQL is installed, always
# in CI) on a throwaway PostgreSQL.
test: $(BIN)/.installed lint
	bin/test-all

test-sqlite: $(BIN)/.installed
	$(BIN)/python -m pytest

# The long forms of the hardening tests: the importer fuzzed with 2,000 mutated files, 300 writes
# of each kind racing on one SQLite file, then 60 s of mixed load against gunicorn and PostgreSQL
# restarted under load, on SQLite and a throwaway PostgreSQL (bin/test-all; 10 s in CI).
soak: $(BIN)/.installed
	KB_FUZZ_EXAMPLES=2000 KB_SQLITE_WRITES=300 $(BIN)/python -m pytest -p no:randomly \
		tests/documents/test_import_fuzz.py tests/markdown/test_linear_time.py tests/security/test_sqlite_concurrency.py
	KB_LOAD_SECONDS=60 bin/test-all -p no:randomly tests/security/test_mixed_load.py tests/security/test_postgres_restart.py

# The scale benchmark (bench/scale.py: generated documents and incidents, gunicorn, wrk; SQLite and, when
# installed, PostgreSQL; its table goes to BENCHMARKS.md) at SIZE=small (300 documents, 2,000 incidents), then
# every quick benchmark on the current DATABASE_URL, each printing ratios to a baseline.
# SIZE=large: 12,000 documents and 100,000 incidents (about 20 minutes an engine), the scale benchmark alone.
SIZE ?= small
QUICK_BENCHES := $(filter-out bench/scale.py bench/generate.py bench/import_rate.py bench/import_sides.py,$(wildcard bench/*.py))
bench: $(BIN)/.installed
	$(BIN)/python bench/scale.py --size $(SIZE)
	if [ "$(SIZE)" = small ]; then \
	  for script in $(QUICK_BENCHES); do DJANGO_DEBUG=True $(BIN)/python $$script || exit 1; done; \
	fi

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .import_linter_cache
