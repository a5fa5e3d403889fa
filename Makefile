# Loupe: `make run` sets up and starts the embedded default; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: run serve test test-fast lint format bench install install-dev chromium worker clean-data \
	typecheck-js

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Re-install only when the requirement files change.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

# TypeScript's checker for the browser modules (pinned in package-lock.json; dev only).
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

run: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py loupe_demo --url http://$(HOST):$(PORT)/
	$(MAKE) --no-print-directory serve

serve:
	$(VENV)/bin/gunicorn loupe.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 \
		--access-logfile - --graceful-timeout 10

worker: install
	$(VENV)/bin/celery -A loupe worker -l info

# Debian's Chromium for the browser tests (Playwright cannot download a browser here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Production-mode settings when a DATABASE_URL is given need a secret and hosts; tests talk plain
# HTTP on loopback, so cookies may not require TLS there.
test: install-dev chromium
	SECRET_KEY=$${SECRET_KEY:-test-$$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')} \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost,testserver} \
	LOUPE_INSECURE_COOKIES=1 LOUPE_DATA_DIR=$${LOUPE_DATA_DIR:-$$(mktemp -d)} \
	$(PY) -m pytest $(PYTEST_ARGS)

# Every app package mypy checks (tests and bench are checked by running them).
TYPED := common formats storage projects annotate quality sources pipelines loupe

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/mypy --strict client/loupe_client
	$(MAKE) --no-print-directory typecheck-js

typecheck-js: node_modules/.installed
	node_modules/.bin/tsc -p tsconfig.json

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/run_all.py

clean-data:
	rm -rf data/
