# The two commands: `make run` and `make test`. Everything else is a helper.
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app portal
PORT   ?= 5000
STAMP  := $(VENV)/.installed-dev
E2E_STAMP := $(VENV)/.installed-e2e

.PHONY: run test lint format e2e screenshots vendor clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# One pip run for both extras (it also satisfies `make test`); Chromium from Debian, never a
# Playwright download.
$(E2E_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,e2e]'
	touch $(STAMP)
	@test -x /usr/bin/chromium || (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null))
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

e2e: $(E2E_STAMP)
	$(VENV)/bin/pytest -m e2e tests/e2e -p no:cacheprovider

screenshots: $(E2E_STAMP)
	SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -m e2e tests/e2e -p no:cacheprovider

vendor:
	scripts/vendor.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
