# Every target sets up its own virtual environment first (Python 3.11, pinned requirements).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MIX ?= 50% red, 30% black, 20% pearl
SEED ?= 42
OUT ?= outputs/tile.png

.PHONY: setup tile test test-fast serve deploy-check web

# The project itself is installed editable, so scripts and tests import `rubber_tile` with no path tricks.
# Two targets started at once (`make web` beside `make serve`) build the venv one after the other: the
# second waits for the lock, then finds the stamp newer than the requirements and does nothing.
LOCKED := flock $(VENV).lock sh -ec
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-web.txt pyproject.toml
	$(LOCKED) 'if [ -f $@ ] && [ -z "$$(find $^ -newer $@)" ]; then exit 0; fi; \
	  $(PYTHON) -m venv $(VENV); \
	  $(PY) -m pip install --quiet --upgrade pip; \
	  $(PY) -m pip install --quiet -r requirements-dev.txt; \
	  $(PY) -m pip install --quiet --no-deps -e .; \
	  touch $@'

setup: $(VENV)/.installed

# The main job: one tile image from a colour mix.
tile: setup
	$(PY) scripts/generate.py "$(MIX)" --seed $(SEED) --out $(OUT)

test: setup
	$(PY) -m pytest -q

# The inner loop: everything but the tests that start servers (coglet, the web app) or a browser.
test-fast: setup
	$(PY) -m pytest -q -m "not server and not browser"

# The real Cog server (coglet) without Docker: `make serve PORT=5001 TILE_BACKEND=preview`.
serve: setup
	scripts/serve.sh

# Before `cog push`: what the image will carry, what setup() loads, the versions; fails on problems.
deploy-check: setup
	$(PY) scripts/check_deploy.py

# The web configurator (docs/web.md): `make web PORT=8080`. It starts the Cog server it needs (the preview
# backend; TILE_BACKEND=sdxl for the model) and stops it with itself, unless COG_URL points elsewhere.
$(VENV)/.web-installed: requirements-web.txt $(VENV)/.installed
	$(LOCKED) 'if [ -f $@ ] && [ -z "$$(find $^ -newer $@)" ]; then exit 0; fi; \
	  $(PY) -m pip install --quiet -r requirements-web.txt; \
	  touch $@'

web: $(VENV)/.web-installed
	scripts/web.sh
