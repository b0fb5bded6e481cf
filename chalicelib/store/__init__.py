"""The storage layer: what services need to know about DynamoDB outcomes without pynamodb.

``conditions`` is the one reader of conditional-write and transaction outcomes; ``claims`` the
atomic claims (guards) and counters built on it.
"""
