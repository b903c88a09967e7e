# Pose Uplift. The two commands: `make demo` and `make test` (both set up .venv first when needed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-stubs.txt | cksum | cut -d' ' -f1)

.PHONY: demo test test-compat check build validate venv clean

# Blender LTS versions the keyframe-writing and apply tests also run on (their bpy wheels, numpy backend)
COMPAT_BPY := 4.2.23 4.5.15
COMPAT_TESTS := tests/addon/test_uplift_apply.py

$(STAMP): requirements.txt requirements-stubs.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -rf $(VENV)/stubs $(VENV)/typeshed
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(VENV)/stubs -r requirements-stubs.txt
	mkdir -p $(VENV)/typeshed
	for d in $(VENV)/stubs/*-stubs; do ln -sfn ../stubs/$$(basename $$d) $(VENV)/typeshed/$$(basename $$d -stubs); done
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# static checks: lint, format, types (addon/ against Blender's API stubs; the package seen as Blender imports it,
# pose_uplift.addon and pose_uplift.model, so that a wrong call from addon/ into model/ fails here)
check: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	mkdir -p $(VENV)/mypy_src && ln -sfn $(CURDIR) $(VENV)/mypy_src/pose_uplift
	MYPYPATH=$(VENV)/typeshed:$(VENV)/mypy_src $(PY) -m mypy -p pose_uplift.addon -p pose_uplift.model

test: check
	$(PY) -m pytest -q
	$(MAKE) test-compat

$(VENV)-bpy%/.installed: requirements-compat.txt
	test -x $(VENV)-bpy$*/bin/python || $(PYTHON) -m venv $(VENV)-bpy$*
	$(VENV)-bpy$*/bin/python -m pip install --quiet --disable-pip-version-check bpy==$* -r requirements-compat.txt
	touch $@

test-compat: $(foreach v,$(COMPAT_BPY),$(VENV)-bpy$(v)/.installed)
	for v in $(COMPAT_BPY); do $(VENV)-bpy$$v/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS) || exit 1; done

build: $(STAMP)
	$(PY) scripts/build_extension.py --out dist

validate: $(STAMP)
	$(PY) scripts/build_extension.py --validate-only

demo: $(STAMP)
	$(PY) scripts/demo.py

clean:
	rm -rf dist out .pytest_cache .mypy_cache .ruff_cache $(VENV)-bpy*
