"""Who does the background work and when: workers' leases and the schedule's slots."""
