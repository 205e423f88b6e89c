"""Contracts of subscription businesses: plan, billing period, status."""
