"""Tasks: follow-ups for a customer's owner — created by people and by playbooks."""
