"""Rich progress displays for the slow steps (geocoding, travel times, solving).

Progress goes to stderr so stdout carries only the summary a user (or a script) reads, and only
when stderr is a terminal: in logs and pipes the error lines stay one per problem.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

stderr_console = Console(stderr=True)  # resolves sys.stderr at write time


@contextlib.contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """Yield a callback `(stage, done, total)` that drives one progress bar per stage."""
    with Progress(
        TextColumn("[bold]{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console,
        transient=False,
        disable=not stderr_console.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield report


@contextlib.contextmanager
def spinner(description: str) -> Iterator[None]:
    """An elapsed-time spinner for a step that cannot report fractions (the solver)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description:<20}"),
        TimeElapsedColumn(),
        console=stderr_console,
        transient=False,
        disable=not stderr_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)
        try:
            yield
        finally:
            progress.update(task, total=1, completed=1)
