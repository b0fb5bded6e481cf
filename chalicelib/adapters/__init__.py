"""Adapters to the outside world (e-mail, queues, payment provider) behind small functions."""
