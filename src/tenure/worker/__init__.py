"""Work done outside a request: scoring runs asked for through the API or the web app."""
