"""Typed records the storage layer hands to services, and takes from them.

A record is a plain frozen dataclass: what a service reads and decides on, with no pynamodb in it.
``replace`` (``dataclasses.replace``) makes a changed copy; repositories write changes as narrow,
conditional updates, never by re-saving a whole record read earlier.

The records live in one module per aggregate, each loaded the first time one of its names is read
(``from chalicelib.store.records import BookingRecord`` loads only the bookings module): a frozen
dataclass costs about a millisecond to create, and a cold Lambda should pay only for those it uses.
"""
from __future__ import annotations

import importlib
from dataclasses import replace

# every counter a rating aggregate keeps (the review counters of ``domain.ratings`` and no-shows)
ALL_COUNTERS = ("count", "star_sum", "h1", "h2", "h3", "h4", "h5", "patience_sum", "clarity_sum",
                "recommend", "rebook", "no_shows")

# the fields of a review a customer may change, and ops' moderation fields
REVIEW_EDITABLE = ("overall", "patience", "clarity", "would_recommend", "would_book_again", "comment")

REVIEW_MODERATION = ("comment_hidden", "hidden_reason")

# what is counted per tenant, affiliate code and campaign
ATTRIBUTION_KINDS = ("landing_visits", "widget_opens", "bookings_started", "bookings_completed", "call_clicks")

# where each record lives: name -> module of this package
_WHERE = {
    "ReviewRecord": "reviews",
    "CustomerRatingRecord": "reviews",
    "QualityCaseRecord": "quality",
    "BookingFacts": "bookings",
    "OfferRef": "bookings",
    "BookingRecord": "bookings",
    "OfferRecord": "bookings",
    "HelperRecord": "helpers",
    "GeoHintRecord": "helpers",
    "HelperReach": "helpers",
    "FailureRecord": "failures",
    "ReplayRecord": "failures",
    "WebhookEndpointRecord": "webhooks",
    "WebhookDeliveryRecord": "webhooks",
    "SignInCodeRecord": "people",
    "PhoneVerificationRecord": "people",
    "StaffRecord": "people",
    "CustomerRecord": "people",
    "PaymentRecord": "payments",
    "LedgerEntryRecord": "payments",
    "PayoutAccountRecord": "payments",
    "SavedCardRecord": "payments",
    "InvoiceRecord": "payments",
    "NotificationLogRecord": "notifications",
    "NotificationPrefsRecord": "notifications",
    "PushSubscriptionRecord": "notifications",
    "AttributionCounts": "attribution",
    "AttributionLink": "attribution",
    # issue 18: tenants, API keys and rate buckets
    "TenantRecord": "tenants",
    "ApiKeyRecord": "partners",
    "RateBucketRecord": "partners",
    "PoolHelperRecord": "partners",
    "PersonRecord": "erasure",
    # issue 18: booking create keys, writes joined to a transition, the helper's profile
    "CreateKeyRecord": "bookings",
    "OfferAnswer": "bookings",
    "NewOffer": "bookings",
    "HelperProfileRecord": "helper_profiles",
    "PROFILE_EDITABLE": "helper_profiles",
}

__all__ = ['ALL_COUNTERS', 'ReviewRecord', 'CustomerRatingRecord', 'QualityCaseRecord', 'BookingFacts', 'HelperRecord', 'OfferRef', 'FailureRecord', 'GeoHintRecord', 'WebhookEndpointRecord', 'WebhookDeliveryRecord', 'SignInCodeRecord', 'PhoneVerificationRecord', 'StaffRecord', 'CustomerRecord', 'PaymentRecord', 'LedgerEntryRecord', 'PayoutAccountRecord', 'SavedCardRecord', 'BookingRecord', 'NotificationLogRecord', 'NotificationPrefsRecord', 'PushSubscriptionRecord', 'OfferRecord', 'HelperReach', 'replace', 'ATTRIBUTION_KINDS', 'AttributionCounts', 'AttributionLink']
__all__ += ['TenantRecord', 'ApiKeyRecord', 'RateBucketRecord', 'PoolHelperRecord', 'PersonRecord']  # issue 18: tenants and API keys
__all__ += ['CreateKeyRecord', 'OfferAnswer', 'NewOffer', 'HelperProfileRecord', 'PROFILE_EDITABLE']  # issue 18: bookings, helper profiles


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
