"""The store: everything an exercise produces, persisted in SQLite so nothing is lost."""
