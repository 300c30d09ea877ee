# Two entry points (see README.md): `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-slow docs lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job on a bundled real dataset: Dutch presumed trafficking victims 2010-2015
demo: setup
	$(VENV)/bin/darkfigure estimate netherlands_2010_2015 --seed 1 --out out/netherlands_2010_2015 --report

# the fast set (< 5 min on 2 cores); the slow statistical checks run with `make test-slow`.
# One pytest worker per core (pytest-xdist); --dist loadfile keeps each test file on one worker, so a
# module's shared fixtures are computed once; files are handed out in collection order (the longest first:
# tests/conftest.py), not by their number of tests. Tests write only under their tmp_path; numba's cache
# writes are atomic renames (two workers may compile the same kernel once each).
PYTEST_JOBS ?= auto
PYTEST_PAR := -n $(PYTEST_JOBS) --dist loadfile --no-loadscope-reorder
test: setup
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m pytest -q -m "not slow" $(PYTEST_PAR)

test-slow: setup
	$(PY) -m pytest -q -m slow $(PYTEST_PAR)

# the documentation site, offline, warnings as errors (tutorials execute while it builds) -> site/index.html
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m mkdocs build --strict

bench: setup
	$(PY) benchmarks/bench_simdat.py
	$(PY) benchmarks/bench_uk.py
	$(PY) benchmarks/bench_exhaustive.py
	$(PY) benchmarks/bench_dga.py
	$(PY) benchmarks/bench_lcmcr.py
	$(PY) benchmarks/bench_startup.py

clean:
	rm -rf $(VENV) out build site *.egg-info
