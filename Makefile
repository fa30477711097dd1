# plantrack: `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install db seed lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/plantrack db upgrade

seed: db
	$(BIN)/plantrack seed --if-empty

run: seed
	@echo ""
	@echo "plantrack is starting at http://$(HOST):$(PORT)"
	@echo "Demo sign-ins (demo data only, never use these passwords elsewhere):"
	@$(BIN)/python -c "import yaml; [print(f\"  {u['role']:<7} {u['email']:<45} {u['password']}\") for u in yaml.safe_load(open('seed_data/users.yaml'))['users']]"
	@echo ""
	$(BIN)/plantrack serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check app tests migrations benchmarks

bench: install
	$(BIN)/python benchmarks/progress_queries.py
	$(BIN)/python benchmarks/appendix_formats.py
	$(BIN)/python benchmarks/report_page_http.py
	$(BIN)/python benchmarks/concurrent_writers.py
	$(BIN)/python benchmarks/pages_wrk.py

clean:
	rm -rf $(VENV) var
