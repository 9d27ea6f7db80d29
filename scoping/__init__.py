"""Scoping: from input files to what the optimiser and the reports need.

Three rooms, each a sub-package (README "Architecture"):

* :mod:`scoping.scenario` - scenario loading: schemas, tables, scenario.yaml settings, service
  models, geocoding, travel times, the loader and the instance builder, sweep specs;
* :mod:`scoping.analysis` - scoping analysis: profiles, indicators and benchmarks, the demand
  model, recommendations, the EES and ONS importers;
* :mod:`scoping.store` - the data store: versioned refresh snapshots and outcome monitoring tables.

`scoping.analysis` and `scoping.store` build on `scoping.scenario`; `scoping.scenario` imports
neither (an import-linter contract in pyproject.toml keeps it so).
"""
