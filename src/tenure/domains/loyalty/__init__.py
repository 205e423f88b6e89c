"""Loyalty: programmes, an append-only points ledger, tiers, milestones and referrals."""
