# Two entry points for a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run preview test lint typecheck pytest build check browser postgres redis nginx dovecot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The sample help center at / and the ticket service beside it (/eur/tickets/new), on SQLite.
run: $(STAMP)
	$(BIN)/kbgen build
	$(BIN)/intake db upgrade
	$(BIN)/intake serve --host $(HOST) --port $(PORT)

# For writers: only the static site, rebuilt on every change.
preview: $(STAMP)
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
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# PostgreSQL 15 server binaries for the second run of the intake tests (a throw-away server).
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing PostgreSQL with apt (needs root)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Redis for the tests of rate limits shared by several processes (a throw-away server).
redis:
	@command -v redis-server >/dev/null || { \
	  echo "Installing Redis with apt (needs root)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# nginx for the tests of the production layout (deploy/nginx-intake.conf before intake serve).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  echo "Installing nginx with apt (needs root)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

# Dovecot for the tests of reading mailboxes over IMAP (a throw-away server).
dovecot:
	@test -x /usr/sbin/dovecot || { \
	  echo "Installing Dovecot with apt (needs root)..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

# Everything on SQLite, then the intake tests again on a throw-away PostgreSQL on loopback.
# Two workers, each taking whole modules (a module's shared fixtures are built once); the tests
# that bound how long something takes (marked serial) run alone afterwards.
XDIST := -n 2 --dist loadscope
PG_TESTS := tests/intake tests/e2e/test_ticket_flow.py tests/e2e/test_desk_flow.py \
  tests/e2e/test_chat_flow.py
pytest: $(STAMP) browser postgres redis nginx dovecot
	$(BIN)/pytest -q $(XDIST) -m "not serial"
	$(BIN)/pytest -q -m serial
	$(BIN)/pytest -q $(XDIST) -m "not serial" --db postgresql $(PG_TESTS)
	$(BIN)/pytest -q -m serial --db postgresql $(PG_TESTS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) site build .mypy_cache .pytest_cache .ruff_cache
