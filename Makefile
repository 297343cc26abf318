# The two commands of the README: `make run` and `make test`. Both create .venv/ on
# first use and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test check lint typecheck index eval bench native portable clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# After installing, llama.cpp is built for this CPU when the prebuilt wheel leaves instruction
# sets unused (AVX-512: prompts read about 1.7x faster; about 5 minutes once, then cached) and a
# C++ compiler is there; otherwise the prebuilt wheel stays. QA_LLAMA_BUILD=prebuilt skips it
# (qa/llama_build.py; docs/answering.md, "llama.cpp built for this CPU").
$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	$(PY) -m qa.llama_build auto
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m qa.llama_build auto
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

# llama.cpp built for this CPU whatever QA_LLAMA_BUILD says (fails without a C++ compiler),
# and back to the prebuilt, portable wheel (until the next install with QA_LLAMA_BUILD=auto).
native: $(VENV)/.installed-run
	$(PY) -m qa.llama_build native

portable: $(VENV)/.installed-run
	$(PY) -m qa.llama_build prebuilt

clean:
	rm -rf .qa-index .pytest_cache .mypy_cache .ruff_cache
