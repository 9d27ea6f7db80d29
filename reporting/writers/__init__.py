"""Files from views: report.html and the scoping, sweep and monitoring pages (jinja2), plan.xlsx,
plan.geojson, the CSV tables and the JSON documents."""
