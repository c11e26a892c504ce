# revops: `make demo` sets up a fresh machine and answers a deal question; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-firebolt matrix bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,serve,report,llm,mcp]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/revops demo init
	$(BIN)/revops deal IXIS

test: $(STAMP)
	$(BIN)/python -m pytest

# The suite on a real Firebolt Core at REVOPS_FIREBOLT_URL (docs/firebolt.md); skips, saying why, without one.
test-firebolt: $(STAMP)
	@$(BIN)/python -c "import sys; sys.path.insert(0, 'tests'); import firebolt_suite as s; \
	r = s.unreachable(s.core_url()); print('make test-firebolt: ' + ('skipped: ' + r if r else 'running on ' + s.core_url()))"
	$(BIN)/python -m pytest -rs tests/test_firebolt_core.py -k firebolt-core

matrix:
	bash scripts/matrix.sh

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache bench/scratch
