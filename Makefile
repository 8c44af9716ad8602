# The two commands: `make run` and `make test`. Everything else is set up on the way.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
VAR_DIR := $(or $(PORTAL_VAR_DIR),var)

.PHONY: run test bench lint fmt messages clean

# Runs like production (DEBUG off, hashed static files, Danish error pages) but over plain HTTP on
# loopback, with a secret key generated once per checkout. `make run DEBUG=true` for development.
run: $(RUNTIME) messages
	@if [ -z "$$SECRET_KEY$$SECRET_KEY_FILE" ]; then \
	    mkdir -p "$(VAR_DIR)"; \
	    [ -s "$(VAR_DIR)/secret-key" ] || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > "$(VAR_DIR)/secret-key"; \
	    export SECRET_KEY_FILE="$(VAR_DIR)/secret-key"; \
	fi; \
	export HTTPS=$${HTTPS:-false}; \
	exec $(PY) manage.py runportal

test: $(DEV) messages
	$(PY) -m pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
