"""The exercise engine: a team's day, its submissions, actions, checks and ledger."""
