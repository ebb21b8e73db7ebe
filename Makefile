# Two commands on a fresh machine: `make demo` and `make test`. Each sets up a virtual environment
# first: torch==2.13.0, pinned by constraints.txt, before anything else, so that no later install
# replaces it. The pin fixes the version, not the build: pip takes what its index offers (on
# Linux, PyPI's wheel is the CUDA one). For the CPU build, install torch into $(VENV) first from
# https://download.pytorch.org/whl/cpu (docs/install.rst, step 2); the pin is then satisfied.

PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
CONSTRAINTS ?= constraints.txt
PIP       := $(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)
EXTRAS    ?= test
STAMP     := $(VENV)/.installed-$(EXTRAS)
# The real data sets (MNIST, Fashion-MNIST, ECG5000, ODDS) beside the checkout.
export SKLEARN_AE_DATA ?= $(abspath ../shared/data)
# Test workers: one per core, each torch on one thread, so the two do not fight for the cores.
PYTEST_WORKERS ?= 2

.PHONY: all setup test test-min demo bench docs docs-quick docs-noexec clean

all: test

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e ".[$(EXTRAS)]"
	touch $@

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# The suite at the lowest versions pyproject.toml declares (constraints-min.txt), in a
# virtual environment of its own. Not part of `make test`: it installs a second environment.
test-min:
	$(MAKE) VENV=.venv-min CONSTRAINTS=constraints-min.txt test

demo: $(STAMP)
	$(PY) -m sklearn_ae

bench:
	$(MAKE) EXTRAS=test,benchmark setup
	$(PY) benchmarks/run_all.py

# The site, warnings as errors. `docs` runs every gallery example in full (minutes);
# `docs-quick` runs each on small data with few epochs (SKLEARN_AE_QUICK=1), as CI does, so
# that a broken example fails the build; `docs-noexec` lays out the gallery without running it.
SPHINX := $(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

docs:
	$(MAKE) EXTRAS=docs,test setup
	$(SPHINX)

docs-quick:
	$(MAKE) EXTRAS=docs,test setup
	SKLEARN_AE_QUICK=1 $(SPHINX)

docs-noexec:
	$(MAKE) EXTRAS=docs,test setup
	SKLEARN_AE_DOCS_FAST=1 $(SPHINX)

clean:
	rm -rf $(VENV) .venv-min docs/_build docs/auto_examples docs/generated .pytest_cache
