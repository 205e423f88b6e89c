"""Signed webhooks (Standard Webhooks): an outbox of deliveries, sent and retried by the worker."""
