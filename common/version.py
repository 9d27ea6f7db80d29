"""The spokeplan version recorded in every output document (plan.json, sweep.json, monitoring pages)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def spokeplan_version() -> str:
    try:
        return version("spokeplan")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"
