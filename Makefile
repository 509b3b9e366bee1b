# pose3d_ros developer entry points. Every target sets up the venv first (idempotent, seconds when done).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup test demo bench clean

setup:
	@bash scripts/setup.sh

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS) test

demo: setup
	$(PY) -m pose3d_ros.tools.demo $(DEMO_ARGS)

bench: setup
	$(VENV)/bin/pose3d-bench all --output BENCHMARKS.md

clean:
	rm -rf $(VENV) build install log demo_output
