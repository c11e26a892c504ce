"""Actions behind a confirmation: the pending-action store (pending.py)."""
