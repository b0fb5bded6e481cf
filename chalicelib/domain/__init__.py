"""Pure domain logic: no AWS, no Stripe, no I/O. Tested fast and alone."""
