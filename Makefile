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

.PHONY: venv demo test test-unit test-notebooks lint bench clean

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

# Unit and integration tests first; notebooks (nbval cell by cell, papermill with parameters) apart.
test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests --ignore=tests/notebooks
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax notebooks tests/notebooks

lint: $(STAMP)
	$(VENV)/bin/ruff check studio_kit dashboards tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_screenplay.py

clean:
	rm -rf $(OUT) .pytest_cache build *.egg-info
