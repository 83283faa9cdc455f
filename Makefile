# The two commands of the README: `make run` and `make test`. Both create the environment they need.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint i18n

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/silkroute run

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check bot cogs tests bench
	$(VENV)/bin/ruff format --check bot cogs tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Extract every user-visible message into bot/locale/silkroute.pot and merge it into the ru and kk catalogues.
i18n: $(STAMP)
	$(VENV)/bin/silkroute i18n extract
