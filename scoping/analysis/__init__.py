"""Scoping analysis: each authority on the evaluation's four scoping dimensions (seed 001 message 7),
its indicators benchmarked against England and its neighbours, the demand estimate with its range,
and the recommendations drawn from the seeds. Reads a planned scenario (scoping.scenario)."""
