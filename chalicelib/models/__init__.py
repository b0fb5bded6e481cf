"""pynamodb models, one module per table. Every record carries ``tenant_id``.

``ALL_MODELS`` is what local provisioning and the infrastructure code create.
"""
from __future__ import annotations


def all_models():
    from chalicelib.models.bookings import Booking
    from chalicelib.models.customers import Customer
    from chalicelib.models.helpers import Helper
    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.models.offers import Offer
    from chalicelib.models.partners import ApiKey, RateBucket, WebhookDelivery, WebhookEndpoint
    from chalicelib.models.signin import SignInCode
    from chalicelib.models.staff import Staff
    from chalicelib.models.tenants import Tenant

    return [Tenant, Customer, Helper, Booking, Offer, SignInCode, Staff, IdempotencyRecord,
            ApiKey, RateBucket, WebhookEndpoint, WebhookDelivery]
