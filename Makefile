# Two commands on a fresh machine (Python >= 3.11 and make):
#   make demo   - install into .venv and plan the demo scenario (a temporary Prefect server for the
#                 run, or the one `spokeplan server start` keeps)
#   make test   - install into .venv and run the whole test suite (what CI runs)
#   make check  - the fast tier: no Prefect server, under a minute (tests/conftest.py)
#   make lint   - ruff (lint and format check), mypy and the import layers (run by make test)
#   make format - rewrite the tree in ruff's format (pyproject [tool.ruff.format]), then re-check it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# No telemetry (no network here); quiet Prefect console logs; patience for a cold embedded server.
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: demo test check lint format install clean demo-store golden lock

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

# The whole suite, every property test at its CI size (Hypothesis profile ci, tests/conftest.py),
# after `make lint`.
test: lint
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest

# The fast tier: no Prefect flow runs or servers (PREFECT_API_URL at a closed port, so a test that
# would start a flow fails, after the client's retries, instead of starting a server); property
# tests at a fifth of their CI examples.
check: install
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} PREFECT_API_URL=http://127.0.0.1:9/api \
		$(BIN)/python -m pytest -m "not prefect and not server and not slow"

# Lint (ruff check), types (mypy, files and settings in pyproject [tool.mypy]) and the package layers
# with no import cycles (lint-imports, pyproject [tool.importlinter]). README "Tooling".
# FORMAT_CHECK=yes (the default) adds `ruff format --check`; FORMAT_CHECK=no skips it while a branch
# is mid-edit (run `make format` before committing).
FORMAT_CHECK ?= yes
lint: install
	$(BIN)/ruff check .
ifeq ($(FORMAT_CHECK),yes)
	$(BIN)/ruff format --check .
endif
	$(BIN)/mypy
	$(BIN)/lint-imports

# Rewrite every Python file in ruff's format (pyproject [tool.ruff.format]), sort imports again, and
# check that lint and types still pass with the format check on: a formatter that moved a
# `# type: ignore` or `# noqa` onto another line shows up here, not in CI.
format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(MAKE) lint FORMAT_CHECK=yes

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
