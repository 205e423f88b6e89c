"""The audit log: who changed what, when, and the values before and after."""
