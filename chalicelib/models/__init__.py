"""pynamodb models, one module per table. Every record carries ``tenant_id``.

``ALL_MODELS`` is what local provisioning and the infrastructure code create.
"""
from __future__ import annotations


def all_models():
    from chalicelib.models.bookings import Booking
    from chalicelib.models.customers import Customer
    from chalicelib.models.helpers import Helper
    from chalicelib.models.idempotency import IdempotencyRecord
    from chalicelib.models.ledger import LedgerMovement
    from chalicelib.models.offers import Offer
    from chalicelib.models.payments import Payment
    from chalicelib.models.partners import ApiKey, RateBucket, WebhookDelivery, WebhookEndpoint
    from chalicelib.models.signin import SignInCode
    from chalicelib.models.staff import Staff
    from chalicelib.models.tenants import Tenant
    from chalicelib.models.reviews import Review
    from chalicelib.models.customer_ratings import CustomerRating
    from chalicelib.models.rating_aggregates import RatingAggregate
    from chalicelib.models.quality import QualityCase
    from chalicelib.models.notification_log import NotificationLog
    from chalicelib.models.notification_prefs import NotificationPrefs
    from chalicelib.models.push_subscriptions import PushSubscription
    from chalicelib.models.failures import FailedUnit
    from chalicelib.models.geo_hints import GeoHint
    from chalicelib.models.invoices import Invoice
    from chalicelib.models.attribution import AttributionItem

    return [Tenant, Customer, Helper, Booking, Offer, SignInCode, Staff, IdempotencyRecord,
            Payment, LedgerMovement,
            Review, CustomerRating, RatingAggregate, QualityCase,
            NotificationLog, NotificationPrefs, PushSubscription,
            ApiKey, RateBucket, WebhookEndpoint, WebhookDelivery, FailedUnit, GeoHint,
            Invoice, AttributionItem]
