# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
STAMP   = $(VENV)/.installed
OUT    ?= out

export RAY_USAGE_STATS_ENABLED = 0
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER = 0
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: venv demo test test-unit test-notebooks lint bench clean chromium serve

venv: $(STAMP)

# Reinstall only when the project's dependency list changes.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/studio demo --out $(OUT)

# Dashboards are tested in a real browser: Debian's Chromium driven by Playwright.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

# Unit and integration tests first; browser tests, then notebooks (nbval cell by cell, papermill with
# parameters), each as its own pytest call.
test: $(STAMP) chromium
	$(PY) -m pytest -q -p no:cacheprovider tests --ignore=tests/notebooks --ignore=tests/browser
	$(PY) -m pytest -q -p no:cacheprovider tests/browser
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax notebooks tests/notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check studio_kit dashboards tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_screenplay.py
	$(PY) benchmarks/bench_schedule.py
	$(PY) benchmarks/eval_breakdown.py
	$(PY) benchmarks/bench_budget.py
	$(PY) benchmarks/bench_procedural.py
	$(PY) benchmarks/bench_generation.py
	$(PY) benchmarks/bench_billing.py
	$(PY) benchmarks/bench_boards.py
	$(PY) benchmarks/bench_animatic.py
	$(PY) benchmarks/bench_api_load.py --seconds 30

# The producer dashboard on http://127.0.0.1:5006/producer (reads the demo's store).
serve: $(STAMP)
	STUDIO_STORE=$${STUDIO_STORE:-$(OUT)/studio.duckdb} $(VENV)/bin/panel serve dashboards/producer.py --address 127.0.0.1 --port 5006

clean:
	rm -rf $(OUT) .pytest_cache build *.egg-info
