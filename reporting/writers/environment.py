"""The one jinja2 environment of spokeplan: autoescaped templates and number formats as filters.

Templates hold no logic beyond loops and these filters; views are prepared in Python.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reporting.disclosure import disclose


def thousands(value: float | int | None) -> str:
    """12345.6 -> '12,346'."""
    return ":" if value is None else f"{value:,.0f}"


def pounds(value: float | None) -> str:
    """780000 -> '£780,000'."""
    return ":" if value is None else f"£{value:,.0f}"


def percent(value: float | str | None, digits: int = 1) -> str:
    """0.4972 -> '49.7%'; None (not available) -> ':'; a disclosure symbol ('c') as it is."""
    if isinstance(value, str):
        return value
    return ":" if value is None else f"{value * 100:.{digits}f}%"


def minutes(value: float | None) -> str:
    """42 -> '42 min'."""
    return ":" if value is None else f"{value:,.0f} min"


def disclose_filter(value: int | None, threshold: int) -> str:
    """`{{ count | disclose(threshold) }}`: the published form of a count (the view's threshold)."""
    return disclose(value, threshold)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reporting", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(thousands=thousands, pounds=pounds, percent=percent, minutes=minutes, disclose=disclose_filter)
    return env
