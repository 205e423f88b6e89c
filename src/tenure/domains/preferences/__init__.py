"""Settings changed in the web app (stage thresholds, health weights), kept in the store."""
