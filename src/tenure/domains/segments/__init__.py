"""User-defined segments: a named filter tree over customers and their latest scores."""
