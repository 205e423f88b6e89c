"""The web app: server-rendered pages over the domains' services."""
