"""Every shipped demo writes exactly the files of tests/data/golden.json (issue #13: behaviour
unchanged by refactoring). A deliberate change of a plan re-derives the manifest with
`make golden` and says why in its commit."""

import pytest

from tests.golden import DEMOS, expected, file_hashes, unproven_stages

pytestmark = pytest.mark.slow  # every shipped demo, solved and written (prefect: tests/conftest.py)


@pytest.mark.parametrize("name", sorted(DEMOS))
def test_demo_files_are_byte_identical(name, shipped_demo):
    run = shipped_demo(name)
    assert run.code == 0, run.err
    assert not unproven_stages(run.directory), f"{name}: a stage stopped unproven; its plan depends on machine speed"
    got, want = file_hashes(run.directory), expected()[name]
    assert sorted(got) == sorted(want), "the demo writes a different set of files"
    changed = [path for path in want if got[path] != want[path]]
    assert not changed, f"{name}: files differ from tests/data/golden.json: {changed}"
