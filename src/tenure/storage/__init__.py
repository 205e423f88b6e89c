"""The relational store: engine, sessions, ORM base, bulk writes and migrations."""
