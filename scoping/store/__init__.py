"""The data store: scoping sources collected into versioned snapshots (refresh), and the outcome
returns in them tracked across snapshots into monitoring tables (outcomes)."""
