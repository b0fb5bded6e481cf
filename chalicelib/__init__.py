"""crowdfix application package: handlers, models, domain logic and adapters."""
