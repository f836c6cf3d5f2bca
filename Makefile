# The two commands: `make run` and `make test`. Everything else is a helper.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app portal
PORT   ?= 5000
STAMP  := $(VENV)/.installed-dev
E2E_STAMP := $(VENV)/.installed-e2e
LOAD_STAMP := $(VENV)/.installed-load
# Exact versions with their hashes (`make lock` writes them): what CI tested is what installs.
DEV_LOCK  := requirements/dev.lock
E2E_LOCK  := requirements/e2e.lock
RUN_LOCK  := requirements/run.lock
LOAD_LOCK := requirements/load.lock
LOCK_INDEX ?= https://pypi.org/simple
LOCK_ARGS  ?=

.PHONY: run test lint format e2e screenshots vendor clean lock bench load cluster

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The locked packages (every file's hash checked), then the portal itself without resolving
# anything more; `pip check` fails when pyproject.toml asks for a package the lock lacks.
$(STAMP): $(DEV_LOCK) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $@

# The e2e lock holds the dev lock's versions too (it also satisfies `make test`); Chromium from
# Debian, never a Playwright download.
$(E2E_STAMP): $(E2E_LOCK) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(E2E_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)
	@test -x /usr/bin/chromium || (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null))
	touch $@

# The load lock holds the dev lock's versions too, plus locust.
$(LOAD_STAMP): $(LOAD_LOCK) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(LOAD_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $(STAMP)
	touch $@

run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	PORT=$(PORT) $(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -c pyproject.toml -r portal migrations bench wsgi.py gunicorn.conf.py -ll -q
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The main story also runs through nginx in front of two app servers (tests/e2e/test_proxy_story.py:
# Debian's nginx, installed here if missing; PostgreSQL at E2E_PG_URL and Redis at TEST_REDIS_URL,
# skipped with the reason when either is absent).
e2e: $(E2E_STAMP)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || apt-get install -y nginx >/dev/null 2>&1 \
	  || (apt-get update >/dev/null && apt-get install -y nginx >/dev/null) || true
	$(VENV)/bin/pytest -m e2e tests/e2e -p no:cacheprovider

screenshots: $(E2E_STAMP)
	SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -m e2e tests/e2e -p no:cacheprovider

# The three roles' journeys (bench/locustfile.py) against gunicorn over a fresh demo database:
# `make load ENGINE=postgresql USERS=20 DURATION=5m`.
ENGINE   ?= sqlite
USERS    ?= 20
DURATION ?= 5m
load: $(LOAD_STAMP)
	ENGINE=$(ENGINE) USERS=$(USERS) DURATION=$(DURATION) VENV=$(VENV) bench/load.sh

# Two app servers behind nginx on one PostgreSQL and one Redis, and the checks (deploy/cluster.sh).
cluster: $(STAMP)
	VENV=$(VENV) deploy/cluster.sh

vendor:
	scripts/vendor.sh

# Every signed-in page under load, beside a minimal Flask page (README, Performance). Not part
# of `make test`: it fills a database of CASES cases (kept under bench/data/ or in
# BENCH_DATABASE_URL) and runs for minutes.
ENGINE ?= sqlite
CASES  ?= 100000
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run.py --engine $(ENGINE) --cases $(CASES) $(BENCH_ARGS)

# Resolve pyproject.toml's ranges against PyPI into the three lock files: e2e (everything) first,
# then dev and run constrained by it, so a package has the same version in all three. Versions
# already locked stay; `make lock LOCK_ARGS=--upgrade` moves everything to the newest allowed.
lock: | $(PY)
	$(PY) -m pip install --quiet 'pip-tools~=7.5'
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	  CUSTOM_COMPILE_COMMAND="make lock" sh -c '\
	  set -e; C="$(VENV)/bin/pip-compile --quiet $(LOCK_ARGS) --strip-extras --generate-hashes --index-url $(LOCK_INDEX)"; \
	  $$C --extra dev --extra e2e -o $(E2E_LOCK) pyproject.toml; \
	  $$C --extra dev -c $(E2E_LOCK) -o $(DEV_LOCK) pyproject.toml; \
	  $$C -c $(E2E_LOCK) -o $(RUN_LOCK) pyproject.toml; \
	  $$C --extra dev --extra load -c $(E2E_LOCK) -o $(LOAD_LOCK) pyproject.toml'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
