"""Local development stack: services, event pump, provisioning and seed data."""
