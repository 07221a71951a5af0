# The two commands a user needs: `make demo` and `make test`. Each sets up .venv on a fresh
# machine (and is quick when it is already set up), offline apart from the package registry.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= demo-out
COMPANIES ?= 200

.PHONY: demo test lint fast install browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgres]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (tests skip with a message where it cannot be had).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will skip"; \
	  else echo "not root: chromium not installed, browser tests will skip"; fi; }

demo: $(STAMP)
	$(VENV)/bin/ascent demo --companies $(COMPANIES) --out $(OUT)

lint: $(STAMP)
	$(VENV)/bin/ruff check common crawler signals intent storage scripts tests
	$(VENV)/bin/mypy

test: $(STAMP) browser lint
	$(PY) -m pytest -q -p no:cacheprovider

fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser"

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
