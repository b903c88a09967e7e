# Pose Uplift: the two commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check build validate clean

$(STAMP): requirements.txt requirements-stubs.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --target $(VENV)/stubs -r requirements-stubs.txt
	touch $(STAMP)

venv: $(STAMP)

check: $(STAMP)
	$(PY) -m ruff check .
	MYPYPATH=$(VENV)/stubs $(PY) -m mypy

test: check
	$(PY) -m pytest -q

build: $(STAMP)
	$(PY) scripts/build_extension.py --out dist

validate: $(STAMP)
	$(PY) scripts/build_extension.py --validate-only

demo: $(STAMP)
	$(PY) scripts/demo.py

clean:
	rm -rf dist out .pytest_cache .mypy_cache .ruff_cache
