"""Report sections as data: each view prepares what one report shows, already rounded, ordered and
disclosed, so templates and writers hold no logic."""
