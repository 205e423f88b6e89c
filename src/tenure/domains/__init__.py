"""Business domains: one folder each, with models, schemas, repository and service."""
