"""Lifecycle stages over time: every customer's stage in every run, and the moves between them."""
