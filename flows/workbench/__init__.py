"""`spokeplan serve`: a local web workbench over the plan flow, for commissioners (issue #18).

A user interface over the flows, like the CLI (the top layer): pages in app.py, the workspace's
folders and versions in workspace.py, the solve queue in jobs.py, comparisons in compare.py, and
every call into scoping / optimisation / reporting / the plan flow in pipeline.py alone.
"""
