"""Input problems, reported the way DESIGN.md promises: `error: FILE:LINE: COLUMN: what is wrong`.

Every check at the boundary collects :class:`Problem` objects instead of stopping at the first,
so a user fixes a file in one pass. :class:`InputError` carries them to the CLI, which prints one
line per problem and exits with code 2 (never a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one input file.

    `line` is 1-based (the header is line 1); 0 means the file as a whole. `column` is the CSV
    column or YAML key concerned, or "-" when the problem is not about one column.
    """

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"error: {self.file}:{self.line}: {self.column}: {self.message}"


class InputError(Exception):
    """The scenario cannot be used as given; `problems` says where and why."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def yaml_line(root: yaml.Node | None, loc: tuple) -> int:
    """The line of the deepest YAML node found along a pydantic error location (1-based)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
