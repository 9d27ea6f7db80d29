"""Scenario loading: a scenario directory read, validated and turned into the optimiser's Instance.

* :mod:`~scoping.scenario.schemas` - one pydantic model per CSV table (columns, ranges, defaults);
* :mod:`~scoping.scenario.tables` - reading one CSV file into validated, located rows;
* :mod:`~scoping.scenario.settings` - scenario.yaml (:class:`ScenarioRules`), read once;
* :mod:`~scoping.scenario.service_model` and :mod:`~scoping.scenario.catalogue` - service models
  and the outcome catalogues they name;
* :mod:`~scoping.scenario.loader` - :func:`load_scenario`: every file read and cross-checked;
* :mod:`~scoping.scenario.geocode`, :mod:`~scoping.scenario.travel` - postcodes and travel times;
* :mod:`~scoping.scenario.build` - :func:`build_instance`, :func:`build_programme`: the Instance;
* :mod:`~scoping.scenario.sweep` - SWEEP.yaml: a base scenario and its variants.

Each is imported by its own path (no re-exports), so loading a scenario does not import the
geocoding and travel libraries until an Instance is built.
"""
