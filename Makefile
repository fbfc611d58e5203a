# Everything a user or CI needs, from a fresh clone: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser java demo test lint typecheck unit edge-days bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/backplan demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# The browser tests drive Debian's chromium; install it once when missing.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The warehouse tests (`-k pyspark`) start a local Spark session, which needs Java.
java:
	@command -v java >/dev/null || { \
	  echo "installing Debian's Java runtime for the local Spark tests"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }

unit: install browser java
	$(BIN)/pytest -n 2

# The tests that read today from the clock (marked `dates`), once on each edge day of the
# calendar: the first working day of a month before office hours, the last day of a month
# (a quarter's end), New Year's Eve ticking into New Year's Day (a public holiday) two
# seconds into each test, 29 February, Christmas Day, a Sunday. Each test starts again at
# the moment. CI runs it after `make test`.
EDGE_DAYS ?= 2027-02-01T07:40 2027-03-31T18:30 2026-12-31T23:59:58 2028-02-29T12:00 \
	2026-12-25T10:00 2026-11-29T12:00
edge-days: install
	@for day in $(EDGE_DAYS); do \
	  echo "== the tests that read today, as if it were $$day (UTC)"; \
	  $(BIN)/pytest -n 2 -q -m dates -k "not pyspark" --ignore=tests/web/test_browser.py \
	    --ignore=tests/web/test_user_walks.py \
	    --pinned-now $$day || exit 1; \
	done

test: lint typecheck unit

screenshots: install browser
	BACKPLAN_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/web/test_user_walks.py

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
