# healtharchive: `make demo` shows the archive working end to end, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001

.PHONY: demo test lint browser redis pywb bench clean

# The virtual environment, with every dependency pinned by requirements.lock.
$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	touch $@

## demo: serve the sample health center, crawl it twice with an edit in between, open Datasette on PORT.
demo: $(BIN)/.installed
	$(BIN)/python -m healtharchive.demo --port $(PORT)

# pywb, for the backfill tests, in an environment of its own (it cannot share .venv: see tests/pywb.py).
PYWB := .pywb-venv
$(PYWB)/.installed: tests/pywb-requirements.txt
	rm -rf $(PYWB) && $(PYTHON) -m venv $(PYWB)
	$(PYWB)/bin/python -m pip install --quiet --no-deps --disable-pip-version-check -r tests/pywb-requirements.txt
	cp tests/pywb-requirements.txt $@

## test: the whole test suite (browser tests need Debian's chromium: `make browser`).
test: $(BIN)/.installed $(PYWB)/.installed
	$(BIN)/python -m pytest

## lint: ruff's checks and its formatting, as CI runs them.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## browser: install Debian's chromium for the headless-browser tests (needs root).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## redis: install Debian's redis-server for the distributed-crawl tests (needs root; the tests start their own).
redis:
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)

## pywb: pywb's own environment for the backfill tests (the tests also build it when it is missing).
pywb: $(PYWB)/.installed

## bench: every benchmark in bench/ (minutes; see README "Performance").
bench: $(BIN)/.installed
	for script in bench/*.py; do case $$script in */metrics.py) ;; *) $(BIN)/python $$script || exit 1;; esac; done

clean:
	rm -rf $(VENV) $(PYWB) demo/ .pytest_cache
