"""The neutral bottom layer: no domain logic, imported by every other package.

* :mod:`common.errors` - input problems located by file, line and column (`Problem`, `InputError`,
  `yaml_line`), reported as `error: FILE:LINE: COLUMN: ...` with exit 2;
* :mod:`common.files` - atomic file writes (old or new file, never half of one);
* :mod:`common.version` - the installed spokeplan version, recorded in every output document.
"""
