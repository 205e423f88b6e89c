"""Scoring runs: a snapshot of the store as of a day, features, stages, and their history."""
