"""The simulated company behind ``tenure demo``: deterministic, realistic, with known truth."""
