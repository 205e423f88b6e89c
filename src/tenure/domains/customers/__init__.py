"""The customer record: profile, acquisition, ownership, consent."""
