# Two commands on a fresh machine (Python >= 3.11 and make):
#   make demo   - install into .venv and plan the demo scenario (a temporary Prefect server for the
#                 run, or the one `spokeplan server start` keeps)
#   make test   - install into .venv and run the whole test suite (what CI runs)
#   make check  - the fast tier: no Prefect server, under a minute (tests/conftest.py)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# No telemetry (no network here); quiet Prefect console logs; patience for a cold embedded server.
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test check install clean demo-store golden lock

install: $(VENV)/.installed

# The tested versions, every file checked against its hash (requirements.lock, from `make lock`), then
# spokeplan itself without resolving again.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Re-resolve pyproject.toml's dependencies (with the test extra) into requirements.lock with hashes.
# Run after changing a dependency and commit both files; takes a few minutes (it fetches every hash).
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	PIP_FIND_LINKS= .lock-venv/bin/pip-compile --quiet --extra test --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

demo: install
	$(BIN)/spokeplan demo

# The whole suite, every property test at its CI size (Hypothesis profile ci, tests/conftest.py);
# first lint-imports: the package layers and no import cycles (pyproject [tool.importlinter]).
test: install
	$(BIN)/lint-imports
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest

# The fast tier: no Prefect flow runs or servers (PREFECT_API_URL at a closed port, so a test that
# would start a flow fails, after the client's retries, instead of starting a server); property
# tests at a fifth of their CI examples.
check: install
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} PREFECT_API_URL=http://127.0.0.1:9/api \
		$(BIN)/python -m pytest -m "not prefect and not server and not slow"

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
