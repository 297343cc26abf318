# The two commands of the README: `make run` and `make test`. Both create .venv/ on
# first use and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test check lint typecheck index eval bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(VENV)/bin/qa index
	$(PY) app.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check qa tests benchmarks app.py
	$(VENV)/bin/ruff format --check qa tests benchmarks app.py

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

check: lint typecheck

test: check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

index: $(VENV)/.installed-run
	$(VENV)/bin/qa index

eval: $(VENV)/.installed-run
	$(VENV)/bin/qa eval --report reports/latest

bench: $(VENV)/.installed-run
	$(PY) benchmarks/bench.py small

clean:
	rm -rf .qa-index .pytest_cache .mypy_cache .ruff_cache
