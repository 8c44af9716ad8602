# The two commands: `make run` and `make test`. Everything else is set up on the way.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
E2E := $(VENV)/.e2e-installed
VAR_DIR := $(or $(PORTAL_VAR_DIR),var)

.PHONY: run test e2e bench lint fmt messages clean backup restore

# The checkout's own secret key, generated once, unless SECRET_KEY or SECRET_KEY_FILE is set.
WITH_SECRET = if [ -z "$$SECRET_KEY$$SECRET_KEY_FILE" ]; then \
	    mkdir -p "$(VAR_DIR)"; \
	    [ -s "$(VAR_DIR)/secret-key" ] || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > "$(VAR_DIR)/secret-key"; \
	    export SECRET_KEY_FILE="$(VAR_DIR)/secret-key"; \
	fi; \
	export HTTPS=$${HTTPS:-false};

# Runs like production (DEBUG off, hashed static files, Danish error pages) but over plain HTTP on
# loopback, with a secret key generated once per checkout. `make run DEBUG=true` for development.
run: $(RUNTIME) messages
	@$(WITH_SECRET) exec $(PY) manage.py runportal

# A pg_dump of the portal's database in $(VAR_DIR)/backups/portal-<UTC time>.dump.
backup: $(RUNTIME)
	@$(WITH_SECRET) exec $(PY) manage.py backup

# Restores a backup into an empty database; FORCE=1 replaces a database that is not empty.
# Stop `make run` first.
restore: $(RUNTIME)
	@if [ -z "$(FILE)" ]; then echo "usage: make restore FILE=$(VAR_DIR)/backups/portal-….dump [FORCE=1]"; exit 2; fi
	@$(WITH_SECRET) exec $(PY) manage.py restore "$(FILE)" $(if $(FORCE),--force)

test: $(DEV) messages
	$(PY) -m pytest $(PYTEST_ARGS)

# Browser tests in e2e/ (Playwright on the machine's Chromium, axe-core for accessibility) against
# a live server with the demo data, on embedded servers of their own in var/e2e. Screenshots go to
# var/e2e/screenshots. CHROMIUM=/path/to/chromium for another browser binary.
AXE_CORE_VERSION := 4.14.1
E2E_DIR := var/e2e
AXE := $(E2E_DIR)/node_modules/axe-core/.installed-$(AXE_CORE_VERSION)

e2e: $(E2E) $(AXE) messages
	$(PY) -m pytest e2e $(PYTEST_ARGS)

bench: $(DEV) messages
	$(PY) bench/run.py

lint: $(DEV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(DEV)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Compiled catalogues are build output, not sources: rebuild them whenever a .po changes.
messages: $(RUNTIME) $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	msgfmt --check-format -o $@ $<

$(VENV)/bin/python:
	"$$(scripts/find-python)" -m venv $(VENV)

$(RUNTIME): requirements.txt | $(VENV)/bin/python
	$(PIP) install -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(PIP) install -r requirements-dev.txt
	touch $@

$(E2E): requirements-e2e.txt $(DEV)
	$(PIP) install -r requirements-e2e.txt
	touch $@

# axe-core from npm at an exact version, into a git-ignored folder; the tests inject it from there.
$(AXE):
	npm install --prefix $(E2E_DIR) --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
	    axe-core@$(AXE_CORE_VERSION)
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
