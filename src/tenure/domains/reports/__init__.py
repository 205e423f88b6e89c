"""Read-only summaries of the store for pages and reports."""
