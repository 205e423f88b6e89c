"""Playbooks: declarative trigger → conditions → steps, their published versions and runs."""
