"""Shared building blocks with no knowledge of the store or the domains."""
