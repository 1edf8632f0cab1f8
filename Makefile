# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create .venv and install the project into it on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck bench schema clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cyclogram needs Python 3.11 or newer (Prefect 3 does); set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	CLI=$(BIN)/cyclogram PY=$(BIN)/python demo/run.sh

# The web pages are tested in a real headless Chromium: Debian's package, driven by Playwright for
# Python (its own browser download cannot work offline). Installed when missing (root: apt-get).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Chromium is missing and apt-get is not here: install chromium"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }'

# PDF export (WeasyPrint) needs Debian's pango; the export tests render a PDF page to PNG with
# poppler's pdftoppm. Installed the same way when missing.
PDFTOPPM := /usr/bin/pdftoppm
$(PDFTOPPM):
	@command -v apt-get >/dev/null || { echo "pdftoppm is missing and apt-get is not here: install poppler-utils"; exit 1; }
	$(if $(filter 0,$(shell id -u)),,sudo) sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q poppler-utils || { apt-get update -q && apt-get install -y -q poppler-utils; }'

.PHONY: pango
pango:
	@$(PYTHON) -c 'import ctypes.util as u, sys; sys.exit(0 if u.find_library("pango-1.0") and u.find_library("pangoft2-1.0") else 1)' || { \
	  command -v apt-get >/dev/null || { echo "pango is missing and apt-get is not here: install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; }; \
	  $(if $(filter 0,$(shell id -u)),,sudo) sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 || { apt-get update -q && apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0; }'; }

test: lint typecheck $(CHROMIUM) $(PDFTOPPM) pango
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy sees the installed layout (cyclogram.engine, …) through a tree of links, since the package
# maps top-level folders onto cyclogram.* (pyproject.toml); strict on engine/ (pyproject.toml).
TYPECHECK := build/typecheck
typecheck: $(STAMP)
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/cyclogram
	@for f in cyclogram/*; do ln -s "$(CURDIR)/$$f" $(TYPECHECK)/cyclogram/; done
	@for d in engine notifiers flows; do ln -s "$(CURDIR)/$$d" $(TYPECHECK)/cyclogram/$$d; done
	cd $(TYPECHECK) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p cyclogram

# Benches time what users meet: an installation with its bytecode cached, whatever this shell says.
bench: export PYTHONDONTWRITEBYTECODE :=
bench: $(STAMP)
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_plan.py
	$(BIN)/python bench/bench_status.py
	$(BIN)/python bench/bench_done.py
	$(BIN)/python bench/bench_dispatch.py
	$(BIN)/python bench/bench_feeds.py
	$(BIN)/python bench/bench_flows.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_telegram.py
	$(BIN)/python bench/bench_limits.py

schema: $(STAMP)
	$(BIN)/cyclogram schema -o docs/roadmap.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .demo build
