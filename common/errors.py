"""Input problems, reported the way DESIGN.md promises: `error: FILE:LINE: COLUMN: what is wrong`.

Every check at the boundary collects :class:`Problem` objects instead of stopping at the first,
so a user fixes a file in one pass. :class:`InputError` carries them to the CLI, which prints one
line per problem and exits with code 2 (never a traceback).
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass

import yaml

# The most characters of one user value quoted in a message (`got '...'`), and of a column name.
SHOWN_CHARACTERS = 60
COLUMN_CHARACTERS = 80
MESSAGE_CHARACTERS = 2000

# A repr that stops early: at most a few items of a list or mapping, a few levels deep, a few
# characters of a string. A YAML alias bomb is a small tree of shared lists that would be billions
# of items long written out; reprlib never walks more than these limits, so showing it is cheap.
_BOUNDED = reprlib.Repr()
_BOUNDED.maxlevel, _BOUNDED.maxlist, _BOUNDED.maxtuple, _BOUNDED.maxdict = 2, 4, 4, 4
_BOUNDED.maxset = _BOUNDED.maxfrozenset = _BOUNDED.maxdeque = _BOUNDED.maxarray = 4
_BOUNDED.maxstring = _BOUNDED.maxother = _BOUNDED.maxlong = SHOWN_CHARACTERS


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A user's value quoted for a message, as `repr(str(value)[:limit])` for a plain value, built
    without ever writing the whole value out (so a huge or self-multiplying value costs nothing).

    Strings are cut before quoting; numbers, None and booleans are short; anything else (a list, a
    mapping, an object) goes through a bounded repr that looks at a few items only.
    """
    if isinstance(value, str):
        text = value[:limit]
    elif value is None or isinstance(value, (bool, float)):
        text = str(value)[:limit]
    elif isinstance(value, int):
        text = str(value)[:limit] if abs(value) < 10**limit else f"a number of {value.bit_length() * 3 // 10}+ digits"
    else:
        text = _BOUNDED.repr(value)[:limit]
    return repr(text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        # A last bound: a column name or message built from a user's file never floods the terminal.
        column = _cut(self.column, COLUMN_CHARACTERS)
        return f"error: {self.file}:{self.line}: {column}: {_cut(self.message, MESSAGE_CHARACTERS)}"


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
            match = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
