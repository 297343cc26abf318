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

# llama.cpp rebuilt for this machine's CPU (docs/answering.md, "A faster llama.cpp"): the pinned xllamacpp
# from its source release, with every instruction set the CPU has (the prebuilt wheel stops at
# AVX2). Needs a C++ compiler; takes about 6 minutes on 2 cores; stays until `make portable` or
# a new xllamacpp pin. Nothing is downloaded during the build (no BoringSSL, no llguidance).
XLLAMACPP_VERSION = $(shell $(PY) -c "from importlib.metadata import version; print(version('xllamacpp'))")
native: $(VENV)/.installed-run
	@command -v c++ >/dev/null 2>&1 || { echo "make native needs a C++ compiler (Debian/Ubuntu: apt install g++)"; exit 1; }
	@command -v cmake >/dev/null 2>&1 || $(PY) -m pip install --quiet "cmake>=3.21"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" NPROC=$$(nproc) \
	CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_LLGUIDANCE=OFF -DLLAMA_BUILD_BORINGSSL=OFF -DLLAMA_OPENSSL=OFF" \
	$(PY) -m pip install --force-reinstall --no-deps --no-cache-dir --no-binary xllamacpp \
	  "xllamacpp==$(XLLAMACPP_VERSION)"
	$(PY) -c "import xllamacpp; print(xllamacpp.get_system_info())"

# Back to the prebuilt, portable xllamacpp wheel.
portable: $(VENV)/.installed-run
	$(PY) -m pip install --force-reinstall --no-deps --only-binary xllamacpp "xllamacpp==$(XLLAMACPP_VERSION)"

clean:
	rm -rf .qa-index .pytest_cache .mypy_cache .ruff_cache
