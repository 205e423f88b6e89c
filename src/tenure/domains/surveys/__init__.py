"""Survey answers, NPS first."""
