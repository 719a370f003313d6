"""The scenario engine: a team's variant of a scenario, and its replay against the live range."""
