"""Email to customers: Liquid templates, an outbox in the store, and transports that send it."""
