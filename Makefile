# Two commands on a fresh machine: `make demo` runs the app, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
APP_STAMP := $(VENV)/.app-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_DIR := tests/realfw
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
# node-pg-migrate for the app itself (it executes .cjs/.js migrations), pinned by the app's
# package.json and installed into the project-local var/node.
NODE_APP_SRC := migrations_manager/node
NODE_APP_DIR := var/node
NODE_APP_STAMP := $(NODE_APP_DIR)/node_modules/.installed

BENCH_STAMP := $(VENV)/.bench-installed
BENCH_NODE_STAMP := bench/node/node_modules/.installed

.PHONY: demo test node-tools node-app bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev]'
	touch $@ $(APP_STAMP)

# node-pg-migrate for the app (var/node) and the real frameworks the compatibility tests drive
# (tests/realfw), from npm. Without npm, .cjs migrations cannot run and those tests skip locally
# (and fail under CI, which must run them).
node-tools:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(NODE_APP_STAMP) $(NODE_STAMP); \
	else \
		echo "npm not found: .cjs migrations cannot run and the real node-pg-migrate tests will be skipped"; \
	fi

$(NODE_APP_STAMP): $(NODE_APP_SRC)/package.json $(NODE_APP_SRC)/package-lock.json
	mkdir -p $(NODE_APP_DIR)
	cp $(NODE_APP_SRC)/package.json $(NODE_APP_SRC)/package-lock.json $(NODE_APP_DIR)/
	cd $(NODE_APP_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The demo needs node-pg-migrate for .cjs files only (var/node), not the frameworks the tests drive.
node-app:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(NODE_APP_STAMP); \
	else \
		echo "npm not found: .cjs migrations cannot run"; \
	fi

demo: $(APP_STAMP) node-app
	$(PY) manage.py demo

# In parallel, one pytest-xdist worker per core (tests/conftest.py says when there is only one).
test: $(DEV_STAMP) node-tools
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

# Benchmarks against psql and peer tools (not part of `make test`); BENCH_ARGS=... passes options.
$(BENCH_STAMP): pyproject.toml $(DEV_STAMP)
	$(PIP) install -e '.[dev,bench]'
	touch $@

# npm ci refuses the lock when the registry in use lacks dbmate's packages for other platforms
# (optional dependencies): npm install then installs this platform's from the same lock.
$(BENCH_NODE_STAMP): bench/node/package.json bench/node/package-lock.json
	cd bench/node && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error)
	touch $@

bench: $(BENCH_STAMP) $(BENCH_NODE_STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules $(NODE_APP_DIR) .pytest_cache
