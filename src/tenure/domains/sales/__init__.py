"""Sales: who to call today, and why a lead scores what it does."""
