# Farmgate — the two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Where buyers' browsers and the sandbox wallet's notifications reach the web process.
# Set once here for web, worker and beat alike (honcho gives each process its own PORT).
PUBLIC_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
PUBLIC_BASE_URL ?= http://$(PUBLIC_HOST):$(PORT)
export HOST PORT PUBLIC_BASE_URL
# Prometheus multiprocess mode: web, worker and beat of `make run` write their metrics here
# (cleared at every start), and /metrics adds them up. Set for `make run` only: tests
# count in their own process.
METRICS_DIR := $(CURDIR)/var/prometheus
# The dependency lock (requirements/*.txt, compiled from pyproject.toml by `make lock`).
LOCK_RUN  := requirements/run.txt
LOCK_TEST := requirements/test.txt
UV_SPEC   := uv>=0.5,<1

.PHONY: run test install install-test lint lock lock-check messages bench clean system-deps vendor-chartjs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

## Installs exactly the locked versions (hashes checked), then the project itself on top.
$(VENV)/.installed-run: pyproject.toml $(LOCK_RUN) | $(BIN)/python lock-check
	$(BIN)/pip install -q --require-hashes -r $(LOCK_RUN)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK_TEST) | $(BIN)/python lock-check
	$(BIN)/pip install -q --require-hashes -r $(LOCK_TEST)
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

## Fails loudly (offline) when pyproject.toml's dependencies changed but the lock did not.
lock-check:
	@$(PYTHON) scripts/lock.py --check

## make lock: recompile requirements/*.txt from pyproject.toml (UPGRADE=1: newest allowed)
lock: | $(BIN)/python
	$(BIN)/pip install -q '$(UV_SPEC)'
	$(BIN)/python scripts/lock.py $(if $(UPGRADE),--upgrade)

## Debian packages the app uses beyond Python: a CJK font for packing slips, gettext for
## translations. Installed when missing and we are root with apt; otherwise it says what to do.
SYSTEM_PACKAGES := fonts-wqy-microhei gettext
system-deps:
	@missing=""; \
	[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$$missing fonts-wqy-microhei"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
				|| echo "warning: could not install$$missing"; \
		else \
			echo "warning: please install$$missing (packing slips need the CJK font)"; \
		fi; \
	fi

messages: $(VENV)/.installed-run system-deps
	@if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(BIN)/python manage.py compilemessages --ignore='.venv' -v0; fi

## make run: install, migrate, load the demo, start web + Celery worker + beat (Ctrl-C stops all)
run: lock-check $(VENV)/.installed-run messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Farmgate is starting on  http://$(HOST):$(PORT)/"
	@echo "  Admin:                   http://$(HOST):$(PORT)/admin/"
	@echo "  API docs:                http://$(HOST):$(PORT)/api/docs/"
	@echo "  Database: $${DATABASE_URL:-SQLite under var/}   Broker: $${REDIS_URL:-filesystem under var/celery/}"
	@echo "  Ctrl-C stops web, worker and beat together."
	@echo ""
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) $(BIN)/honcho start -f Procfile.dev -p $(PORT)

## make test: install the test extras, check the apps' import layers, run the whole suite
test: lock-check $(VENV)/.installed-test messages
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

## Re-vendor the charting library from the npm registry (CHARTJS_VERSION=x.y.z to change it)
vendor-chartjs:
	scripts/vendor_chartjs.sh $(CHARTJS_VERSION)

clean:
	rm -rf var .pytest_cache
