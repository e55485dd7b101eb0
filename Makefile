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

.PHONY: run test install install-test lint messages bench clean system-deps vendor-chartjs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

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
run: $(VENV)/.installed-run messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Farmgate is starting on  http://$(HOST):$(PORT)/"
	@echo "  Admin:                   http://$(HOST):$(PORT)/admin/"
	@echo "  API docs:                http://$(HOST):$(PORT)/api/docs/"
	@echo "  Database: $${DATABASE_URL:-SQLite under var/}   Broker: $${REDIS_URL:-filesystem under var/celery/}"
	@echo "  Ctrl-C stops web, worker and beat together."
	@echo ""
	$(BIN)/honcho start -f Procfile.dev -p $(PORT)

## make test: install the test extras and run the whole suite
test: $(VENV)/.installed-test messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

## Re-vendor the charting library from the npm registry (CHARTJS_VERSION=x.y.z to change it)
vendor-chartjs:
	scripts/vendor_chartjs.sh $(CHARTJS_VERSION)

clean:
	rm -rf var .pytest_cache
