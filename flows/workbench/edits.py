"""Edits the workbench makes to a scenario's files, as pure text functions (tested on their own).

* :func:`set_yaml_keys` changes top-level keys of scenario.yaml in place: every comment, every
  other key and the order stay as the user wrote them (a commissioner's notes on where a figure
  came from are part of the scenario).
* :func:`set_host_statuses` sets hosts.csv's `status` column, adding it when absent; every other
  cell is written back as read.

Neither checks the result: the caller checks the edited copy exactly as `spokeplan validate`
does and keeps it only when it is valid.
"""

from __future__ import annotations

import csv
import io

import yaml


def _yaml_value(key: str, value) -> str:
    """`key: value` on one line of YAML (a list in flow style: `priorities: [coverage, travel]`)."""
    if isinstance(value, (list, tuple)):
        return yaml.safe_dump(
            {key: list(value)}, default_flow_style=None, sort_keys=False, allow_unicode=True, width=10_000
        ).rstrip("\n")
    return yaml.safe_dump(
        {key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True, width=10_000
    ).rstrip("\n")


def _value_end(node: yaml.Node) -> int:
    """Where a value ends in the text: a block collection's own end mark runs on over the comments
    that follow it, so it ends with its last item instead."""
    if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _value_end(last[1] if isinstance(last, tuple) else last)
    return node.end_mark.index


def set_yaml_keys(text: str, updates: dict[str, object]) -> str:
    """scenario.yaml `text` with each key of `updates` set to its value, or removed where the value
    is None. A key already present is rewritten where it stands (comments around it kept); a new
    key is appended at the end. Raises ValueError if `text` is not a YAML mapping."""
    node = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    if node is not None and not isinstance(node, yaml.MappingNode):
        raise ValueError("scenario.yaml is not a mapping of rule names to values")
    spans: dict[str, tuple[int, int]] = {}
    for key_node, value_node in node.value if node is not None else []:
        if isinstance(key_node, yaml.ScalarNode):
            spans[key_node.value] = (key_node.start_mark.index, _value_end(value_node))
    # Replace from the end of the text backwards, so earlier spans keep their offsets.
    for key in sorted((k for k in updates if k in spans), key=lambda k: spans[k][0], reverse=True):
        start, end = spans[key]
        trailing = "\n" if text[start:end].endswith("\n") else ""  # a block value's span may end past its newline
        if updates[key] is None:
            line_end = text.find("\n", end)
            if trailing:
                line_end = end - 1
            text = text[:start] + text[(len(text) if line_end == -1 else line_end + 1) :]
        else:
            text = text[:start] + _yaml_value(key, updates[key]) + trailing + text[end:]
    added = [_yaml_value(key, value) for key, value in updates.items() if key not in spans and value is not None]
    if added:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "\n".join(added) + "\n"
    return text


def set_host_statuses(raw: bytes, statuses: dict[str, str]) -> bytes:
    """hosts.csv bytes with the `status` of each host id in `statuses` set (other rows unchanged; the
    column is added, empty for hosts not named, when the file has none). Raises ValueError when the
    file has no host_id column."""
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or "host_id" not in [cell.strip() for cell in rows[0]]:
        raise ValueError("hosts.csv has no host_id column")
    header = [cell.strip() for cell in rows[0]]
    id_at = header.index("host_id")
    if "status" not in header:
        rows[0].append("status")
        for row in rows[1:]:
            if any(cell.strip() for cell in row):
                row.append("")
        header.append("status")
    status_at = header.index("status")
    for row in rows[1:]:
        if len(row) > max(id_at, status_at) and row[id_at].strip() in statuses:
            row[status_at] = statuses[row[id_at].strip()]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")
