# Two commands on a fresh machine (Python >= 3.11 and make):
#   make demo   - install into .venv and plan the demo scenario on Prefect's embedded server
#   make test   - install into .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# No telemetry (no network here); quiet Prefect console logs; patience for a cold embedded server.
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test install clean demo-store golden

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/spokeplan demo

# lint-imports: the package layers and no import cycles (pyproject [tool.importlinter]); then the suite.
test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# Rewrite the SYNTHETIC outcome returns and the committed refresh store the demos' reports monitor
# (inputs/outcomes/demo_store; README "Outcome monitoring"). Deterministic.
demo-store: install
	$(BIN)/python inputs/outcomes/demo_generator.py

clean:
	rm -rf $(VENV) outputs/demo .pytest_cache .hypothesis

# Re-derive tests/data/golden.json (the SHA-256 of every file each shipped demo writes) after a
# change that is meant to alter a plan; tests/test_golden.py keeps refactors byte-identical.
golden: install
	$(BIN)/python -m tests.golden
