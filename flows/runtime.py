"""What every command returns, shared by the CLI and every flow: exit codes, RunOutcome, Rejected.

Plain Python on purpose (no Prefect import): the command line answers `validate` and bad input
from these alone, before Prefect is imported or a server started (issue #13; importing Prefect
costs about a second, see benchmarks/end_to_end.py). The Prefect side of the runtime (the tasks
every flow shares, `flow_result`) is flows/tasks.py.

Exit codes (DESIGN.md): 0 success, 2 bad input (`error: FILE:LINE: COLUMN: ...` lines), 3 infeasible
(the conflicting rules in plain words), 1 an unexpected internal error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from common.errors import InputError
from common.files import check_output_folder

T = TypeVar("T")

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


@dataclass
class RunOutcome:
    """What a command tells its user: an exit code, messages, and the figures of a summary."""

    exit_code: int
    messages: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    written: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejected:
    """An expected failure, returned (not raised) so Prefect logs no traceback for it."""

    exit_code: int
    messages: tuple[str, ...]

    def outcome(self) -> RunOutcome:
        return RunOutcome(self.exit_code, list(self.messages))


def rejecting_bad_input(function: Callable[..., T], *args) -> T | Rejected:
    """Call `function`; bad input comes back as a Rejected value (exit 2) instead of an exception."""
    try:
        return function(*args)
    except InputError as error:
        return bad_input(error)


def bad_input(error: InputError) -> Rejected:
    """The Rejected value of an InputError: one `error: FILE:LINE: COLUMN: ...` line per problem."""
    return Rejected(EXIT_BAD_INPUT, tuple(str(p) for p in error.problems))


def output_folder_rejected(out_dir: str, *inputs: str) -> Rejected | None:
    """--out checked before any work (common.files.check_output_folder): a file, a folder under a file,
    a read-only or unwritable place, or a folder holding the inputs is exit 2 now, not after the solve."""
    problems = check_output_folder(out_dir, keep_clear_of=inputs)
    return Rejected(EXIT_BAD_INPUT, tuple(str(p) for p in problems)) if problems else None
