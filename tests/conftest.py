"""Shared test set-up: no telemetry, quiet Prefect, Hypothesis profiles, test tiers, and one Prefect
test harness per session.

Tiers (Makefile):

* ``make check`` — the fast tier, ``-m "not prefect and not server and not slow"``, Hypothesis profile ``dev``: no
  Prefect server (the Makefile points PREFECT_API_URL at a closed port, so a test that would start a
  flow run fails instead of quietly starting a server), under a minute on 2 cores;
* ``make test`` — everything, profile ``ci``: what CI runs (``.ci/run``).

Markers (pyproject.toml): ``prefect`` (runs Prefect flows on the session's test server; given
automatically to every test that uses the ``prefect_harness`` fixture, so the tiers cannot drift from
the fixtures), ``server`` (starts real Prefect server processes in subprocesses: `spokeplan server`,
temporary servers) and ``slow`` (many seconds of real work: the golden demos, the browser, kills).

Hypothesis profiles: ``ci`` runs each property test's full example count (tests/strategies.py
`examples`: about 1,800 examples over the suite) and ``dev`` a fifth of it. The profile is
HYPOTHESIS_PROFILE if set, else ``ci`` when CI=true, else ``dev``.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import pytest
from hypothesis import HealthCheck, settings

# Examples per property test = its `examples(n)` count times max_examples / 100 (tests/strategies.py).
settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)


def pytest_collection_modifyitems(items):
    """A test that uses the Prefect harness runs flows: mark it `prefect` so the fast tier leaves it out."""
    for item in items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.prefect)


# Every back end a family must hold on, each with and without the presolve (tests/test_families.py,
# tests/test_hub_side.py).
BACKENDS = ("AUTO", "SCIPY_HIGHS", "SCIP_MATRIX", "SCIP", "CBC")


@pytest.fixture(
    params=[(b, p) for b in BACKENDS for p in (True, False)],
    ids=[f"{b}-{'presolve' if p else 'raw'}" for b in BACKENDS for p in (True, False)],
)
def solve_on_each_backend(request):
    """solve() on this test's back end, with or without the presolve (20 s limit unless given)."""
    from optimisation.solve import solve as solve_with

    backend, presolve = request.param

    def run(inst, **options):
        return solve_with(inst, backend=backend, presolve=presolve, **{"time_limit": 20, **options})

    run.backend = backend  # a test may check that the plan names its back end
    return run


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for every flow test (starting one costs ~10-15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def shipped_demo(prefect_harness, tmp_path_factory):
    """`shipped_demo(name)`: the shipped demo `name` (tests.golden.DEMOS) run once per session through
    the CLI, as a tests.golden.DemoRun. The golden test and the tests that read a demo's outputs
    share the run; they only read its folder."""
    from tests.golden import run_demo_captured

    runs = {}

    def run(name: str):
        if name not in runs:
            runs[name] = run_demo_captured(name, tmp_path_factory.mktemp(name) / "out")
        return runs[name]

    return run
