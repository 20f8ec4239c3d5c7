# The two commands: `make run` serves the dashboard with its task worker, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run dev test fuzz test-deps migrate demo bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

## run: install, upgrade the database, then serve (gunicorn on CRM_HOST:CRM_PORT) with the task worker; Ctrl-C stops both
run: $(VENV)/.installed
	$(BIN)/flask --app crm db upgrade
	exec $(BIN)/flask --app crm serve

## dev: the same with Flask's reloader and debugger instead of gunicorn
dev: $(VENV)/.installed
	$(BIN)/flask --app crm db upgrade
	exec $(BIN)/flask --app crm serve --dev

## test: install test extras, Chromium, PostgreSQL and Redis when missing; check code size; run the suite on SQLite,
## then on PostgreSQL with Redis as queue and rate-limit store
test: $(VENV)/.installed-test test-deps
	$(BIN)/python scripts/code_size.py
	$(BIN)/pytest
	$(BIN)/pytest --database postgresql -m "not e2e" -rs

## fuzz: the property-based fuzz tests alone (tests/fuzz), with many more examples, on SQLite
fuzz: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/fuzz

test-deps:
	PYTHON=$(BIN)/python bash scripts/test-deps.sh

migrate: $(VENV)/.installed
	$(BIN)/flask --app crm db upgrade

## demo: a shop with 500 customers (N=100000 for a big one)
demo: $(VENV)/.installed
	$(BIN)/flask --app crm db upgrade
	$(BIN)/flask --app crm demo --customers $(or $(N),500)

## translations: collect the strings to translate (crm/translations/messages.pot), add the new ones to each
## language's catalogue, and compile the catalogues (the compiled .mo files are committed beside them)
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --no-wrap \
		-o crm/translations/messages.pot crm
	$(BIN)/pybabel -q update -i crm/translations/messages.pot -d crm/translations --no-wrap --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel -q compile -d crm/translations

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/list_page.py
	$(BIN)/python benchmarks/address_suggest.py
	$(BIN)/python benchmarks/insights_page.py
	$(BIN)/python benchmarks/order_api.py
	$(BIN)/python benchmarks/import_csv.py

clean:
	rm -rf $(VENV) .pytest_cache
