"""Use cases: each function is one thing a user or the platform does. Handlers call these."""
