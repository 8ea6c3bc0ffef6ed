# Two entry points for a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest build check bench browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kbgen serve --host $(HOST) --port $(PORT)

build: $(STAMP)
	$(BIN)/kbgen build

check: $(STAMP)
	$(BIN)/kbgen check --strict

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Chromium with apt (needs root)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) browser
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) site build .mypy_cache .pytest_cache .ruff_cache
