# Pose Uplift. The two commands: `make demo` and `make test` (both set up .venv first when needed).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-stubs.txt | cksum | cut -d' ' -f1)

.PHONY: demo test test-compat test-blender blender check build validate venv clean

# Blender LTS versions the keyframe-writing and apply tests also run on (their bpy wheels, numpy backend):
# 4.2 and 4.5 on Python 3.11, 5.2 on Python 3.13 (found on the PATH or in pyenv; skipped with a line saying so
# when this machine has none)
COMPAT_BPY := 4.2.23 4.5.15
COMPAT_BPY_313 := 5.2.3
PYTHON313 ?= $(shell for p in $$(command -v python3.13) $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do "$$p" -c pass 2>/dev/null && echo "$$p" && break; done)
COMPAT_TESTS := tests/addon/test_uplift_apply.py
# Python 3.13 (Blender 5.1 and newer) also takes its own detector path: MediaPipe 1.x and the model files
COMPAT_TESTS_313 := $(COMPAT_TESTS) tests/addon/test_video.py

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

test: check blender
	$(PY) -m pytest -q
	$(MAKE) test-compat

# A real Blender binary: Debian's `blender` from its unstable suite (5.2.x, with python3-numpy) in a chroot made
# with mmdebstrap under .cache/ (reused when present; pip, EGL and GLES for the detector the batch script installs in it);
# tests/addon/test_real_blender.py runs the batch script in it
BLENDER_ROOT := .cache/debian-blender
blender: $(BLENDER_ROOT)/.ready

$(BLENDER_ROOT)/.ready:
	command -v mmdebstrap >/dev/null || (apt-get update -qq && apt-get install -y -qq mmdebstrap)
	rm -rf $(BLENDER_ROOT) && mkdir -p .cache
	mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' --include=blender,python3-numpy,python3-pip,libegl1,libgles2 unstable $(BLENDER_ROOT)
	chroot $(BLENDER_ROOT) blender --version | head -1
	touch $@

test-blender: check blender
	$(PY) -m pytest -q tests/addon/test_real_blender.py

$(VENV)-bpy%/.installed: requirements-compat.txt
	test -x $(VENV)-bpy$*/bin/python || $(PYTHON) -m venv $(VENV)-bpy$*
	$(VENV)-bpy$*/bin/python -m pip install --quiet --disable-pip-version-check bpy==$* -r requirements-compat.txt
	touch $@

$(VENV)-py313-bpy%/.installed: requirements-compat-313.txt
	test -x $(VENV)-py313-bpy$*/bin/python || $(PYTHON313) -m venv $(VENV)-py313-bpy$*
	$(VENV)-py313-bpy$*/bin/python -m pip install --quiet --disable-pip-version-check bpy==$* -r requirements-compat-313.txt
	touch $@

test-compat: $(foreach v,$(COMPAT_BPY),$(VENV)-bpy$(v)/.installed)
	for v in $(COMPAT_BPY); do $(VENV)-bpy$$v/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS) || exit 1; done
	if [ -n "$(PYTHON313)" ]; then \
	  $(MAKE) $(foreach v,$(COMPAT_BPY_313),$(VENV)-py313-bpy$(v)/.installed) && \
	  for v in $(COMPAT_BPY_313); do $(VENV)-py313-bpy$$v/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_TESTS_313) || exit 1; done; \
	else echo "bpy $(COMPAT_BPY_313) (Blender 5.2 LTS) not tested: no Python 3.13 on this machine"; fi

build: $(STAMP)
	$(PY) scripts/build_extension.py --out dist

validate: $(STAMP)
	$(PY) scripts/build_extension.py --validate-only

demo: $(STAMP)
	$(PY) scripts/demo.py

clean:
	rm -rf dist out .pytest_cache .mypy_cache .ruff_cache $(VENV)-bpy* $(VENV)-py313-bpy*
