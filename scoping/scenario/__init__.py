"""Scenario loading: a scenario directory read, validated and turned into the optimiser's Instance.

* :mod:`~scoping.scenario.schemas` - one pydantic model per CSV table (columns, ranges, defaults);
* :mod:`~scoping.scenario.tables` - reading one CSV file into validated, located rows;
* :mod:`~scoping.scenario.settings` - scenario.yaml (:class:`ScenarioRules`), read once;
* :mod:`~scoping.scenario.service_model` and :mod:`~scoping.scenario.catalogue` - service models
  and the outcome catalogues they name;
* :mod:`~scoping.scenario.loader` - :func:`load_scenario`: every file read and cross-checked;
* :mod:`~scoping.scenario.geocode` - postcodes (and their density, which the travel estimate reads);
* :mod:`~scoping.scenario.travel_estimate` - the calibrated car and public-transport estimates
  (:mod:`~scoping.scenario.travel_calibration` fits them on published journey times);
* :mod:`~scoping.scenario.travel` - a scenario's travel times: estimates with measured and routed
  times over them (one rule), supervision by car, casework in the scenario's mode;
* :mod:`~scoping.scenario.travel_import` - routers' answers (OSRM, r5py, CSV) into travel_times.csv;
* :mod:`~scoping.scenario.travel_table` - `spokeplan travel PAIRS.csv`: any journeys, both modes;
* :mod:`~scoping.scenario.build` - :func:`build_instance`, :func:`build_programme`: the Instance;
* :mod:`~scoping.scenario.sweep` - SWEEP.yaml: a base scenario and its variants.

Each is imported by its own path (no re-exports), so loading a scenario does not import the
geocoding and travel libraries until an Instance is built.
"""
