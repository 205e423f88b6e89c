"""The ``tenure`` command line: one file per command group, imports done lazily."""
