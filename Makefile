# The two commands: `make run` serves the dashboard, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CRM_HOST ?= 127.0.0.1
CRM_PORT ?= 5000

.PHONY: run test fuzz test-deps migrate demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

## run: install, upgrade the database, purge customers deleted 30 days ago, serve http://$(CRM_HOST):$(CRM_PORT)
run: $(VENV)/.installed
	$(BIN)/flask --app crm db upgrade
	$(BIN)/flask --app crm purge
	$(BIN)/flask --app crm run --host $(CRM_HOST) --port $(CRM_PORT)

## test: install test extras, Chromium and PostgreSQL when missing; check code size; run the suite on SQLite, then PostgreSQL
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

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/list_page.py
	$(BIN)/python benchmarks/address_suggest.py
	$(BIN)/python benchmarks/insights_page.py
	$(BIN)/python benchmarks/order_api.py
	$(BIN)/python benchmarks/import_csv.py

clean:
	rm -rf $(VENV) .pytest_cache
