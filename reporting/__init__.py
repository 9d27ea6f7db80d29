"""Reporting: what leaves the program, in three layers (README "Architecture").

* published counts - :mod:`reporting.disclosure` (primary and secondary suppression) and
  :mod:`reporting.published` (every case count a plan or monitoring report publishes, with which
  of them are shown as ``c``);
* :mod:`reporting.views` - each report section as plain data: rounded, ordered and disclosed;
* :mod:`reporting.writers` - files from views: HTML (jinja2 templates that hold no logic), xlsx,
  GeoJSON, CSV and JSON, written atomically.

Higher layers import lower ones, never the reverse (an import-linter contract in pyproject.toml).
"""
