"""The one place crowdfix talks to Stripe. One small function per Stripe call.

- The API version is pinned (``API_VERSION``): Stripe answers in that shape whatever the account's
  default is, and an upgrade is a deliberate change here.
- Every call that moves money takes an ``idempotency_key`` built by :func:`idempotency_key`
  (booking id + step): a retried settlement gets Stripe's first answer back instead of a second
  charge or transfer.
- ``import stripe`` happens inside :func:`_client` only, so importing the app never imports stripe.
- ``STRIPE_API_BASE`` points the client elsewhere: locally at localstripe, extended by
  ``localdev/stripe_local.py`` with a Connect stand-in (accounts, account links, transfers,
  reversals) and Idempotency-Key replay, since localstripe has neither. In AWS it is unset and
  the calls go to api.stripe.com.
- The secret key comes from ``credentials.get_secret("STRIPE_SECRET_KEY")`` (SSM in AWS; a random
  ``sk_test_...`` written by ``make dev`` locally).
- Test mode (issue 17, the partner sandbox): a call made with ``mode="test"`` (a test key's
  booking) goes out with ``get_secret("STRIPE_TEST_SECRET_KEY")``, which must be a Stripe *test*
  key (``sk_test_``/``rk_test_``, refused otherwise): a sandbox booking can never hold, capture or
  refund live money, whatever the live key is. Locally both keys reach localstripe.

Answers are returned as plain dicts so callers and tests never depend on stripe's object types.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from chalicelib.domain.errors import DomainError

API_VERSION = "2026-10-28.endive"
WEBHOOK_TOLERANCE_SECONDS = 300
# stripe's defaults (80 s per try, 2 retries) outlast every function's timeout. One call costs at most
# STRIPE_TIMEOUT_SECONDS x (STRIPE_MAX_NETWORK_RETRIES + 1); infra/stack.py sizes timeouts from these
# (tests/infra asserts it). A retried POST keeps its idempotency key.
STRIPE_TIMEOUT_SECONDS = 5
STRIPE_MAX_NETWORK_RETRIES = 1


class PaymentDeclined(DomainError):
    status, code, title = 402, "payment-declined", "The card was declined"


class PaymentProviderError(DomainError):
    status, code, title = 502, "payment-provider-error", "The payment provider did not answer as expected"


class BadWebhookSignature(DomainError):
    status, code, title = 400, "bad-webhook-signature", "The webhook signature is not valid"


def idempotency_key(booking_id: str, step: str) -> str:
    """The key for one money-moving step of one booking (``b_123:capture``)."""
    return f"{booking_id}:{step}"


LIVE, TEST = "live", "test"
TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")


def mode_of(sandbox: str | None) -> str:
    """The Stripe mode of a booking: ``test`` for a sandbox booking (``sandbox == "test"``)."""
    return TEST if sandbox == TEST else LIVE


def _secret_key(mode: str) -> str:
    from chalicelib.credentials import get_secret

    if mode != TEST:
        return get_secret("STRIPE_SECRET_KEY")
    key = get_secret("STRIPE_TEST_SECRET_KEY")
    if not key.startswith(TEST_KEY_PREFIXES):
        from chalicelib.settings import ConfigurationError
        raise ConfigurationError("STRIPE_TEST_SECRET_KEY must be a Stripe test key (sk_test_...): sandbox bookings "
                                 "never move live money")
    return key


@functools.lru_cache(maxsize=2)
def _client(mode: str = LIVE):
    import stripe

    base = os.environ.get("STRIPE_API_BASE")
    return stripe.StripeClient(_secret_key(mode), stripe_version=API_VERSION,
                               base_addresses={"api": base} if base else None,
                               http_client=stripe.new_default_http_client(timeout=STRIPE_TIMEOUT_SECONDS),
                               max_network_retries=STRIPE_MAX_NETWORK_RETRIES)


def reset_client() -> None:
    _client.cache_clear()


def _plain(obj: Any) -> Any:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return obj


def _call(fn, *args, **kwargs) -> dict:
    import stripe

    try:
        return _plain(fn(*args, **kwargs))
    except stripe.CardError as exc:
        raise PaymentDeclined(exc.user_message or "the card was declined; try another card",
                              field="payment_method", extra={"decline_code": getattr(exc, "code", None)}) from None
    except stripe.InvalidRequestError as exc:
        raise PaymentProviderError(f"the payment provider refused the request: {exc.user_message or exc}",
                                   extra={"provider_status": exc.http_status}) from None
    except stripe.StripeError as exc:
        raise PaymentProviderError("the payment provider is not reachable right now; please try again",
                                   extra={"provider_status": getattr(exc, "http_status", None)}) from None


def _opts(key: str | None) -> dict:
    return {"idempotency_key": key} if key else {}


# -- customers and payment methods ----------------------------------------------------------------

def create_customer(email: str, name: str | None, metadata: dict, key: str, mode: str = LIVE) -> dict:
    return _call(_client(mode).v1.customers.create,
                 params={"email": email, **({"name": name} if name else {}), "metadata": metadata}, options=_opts(key))


def attach_payment_method(payment_method: str, customer_id: str, mode: str = LIVE) -> dict:
    return _call(_client(mode).v1.payment_methods.attach, payment_method, params={"customer": customer_id})


def retrieve_payment_method(payment_method: str) -> dict:
    return _call(_client().v1.payment_methods.retrieve, payment_method)


# -- payment intents (authorise, capture, release) -----------------------------------------------

def authorise(amount: int, currency: str, customer_id: str, payment_method: str, metadata: dict, key: str,
              off_session: bool = False, mode: str = LIVE) -> dict:
    """Hold ``amount`` on the card (manual capture); confirmed at once."""
    params: dict[str, Any] = {"amount": amount, "currency": currency.lower(), "customer": customer_id,
                              "payment_method": payment_method, "payment_method_types": ["card"],
                              "capture_method": "manual", "confirm": True, "metadata": metadata}
    if off_session:
        params["off_session"] = True
    return _call(_client(mode).v1.payment_intents.create, params=params, options=_opts(key))


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call(_client().v1.payment_intents.retrieve, payment_intent_id)


def capture(payment_intent_id: str, amount: int, key: str, mode: str = LIVE) -> dict:
    return _call(_client(mode).v1.payment_intents.capture, payment_intent_id,
                 params={"amount_to_capture": amount}, options=_opts(key))


def release(payment_intent_id: str, key: str, mode: str = LIVE) -> dict:
    """Cancel an uncaptured PaymentIntent: the hold on the card goes away."""
    return _call(_client(mode).v1.payment_intents.cancel, payment_intent_id, options=_opts(key))


def refund(payment_intent_id: str, amount: int, key: str, metadata: dict, mode: str = LIVE) -> dict:
    return _call(_client(mode).v1.refunds.create,
                 params={"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
                 options=_opts(key))


# -- Connect (helpers' accounts, transfers) -----------------------------------------------------

def create_connected_account(email: str, country: str, metadata: dict, key: str) -> dict:
    return _call(_client().v1.accounts.create,
                 params={"type": "express", "email": email, "country": country, "metadata": metadata,
                         "capabilities": {"transfers": {"requested": True}}}, options=_opts(key))


def retrieve_account(account_id: str) -> dict:
    return _call(_client().v1.accounts.retrieve, account_id)


def create_account_link(account_id: str, refresh_url: str, return_url: str) -> dict:
    return _call(_client().v1.account_links.create,
                 params={"account": account_id, "refresh_url": refresh_url, "return_url": return_url,
                         "type": "account_onboarding"})


def transfer(amount: int, currency: str, destination: str, transfer_group: str, source_transaction: str | None,
             metadata: dict, key: str) -> dict:
    params: dict[str, Any] = {"amount": amount, "currency": currency.lower(), "destination": destination,
                              "transfer_group": transfer_group, "metadata": metadata}
    if source_transaction:
        params["source_transaction"] = source_transaction
    return _call(_client().v1.transfers.create, params=params, options=_opts(key))


def reverse_transfer(transfer_id: str, amount: int, key: str) -> dict:
    return _call(_client().v1.transfers.reversals.create, transfer_id, params={"amount": amount},
                 options=_opts(key))


# -- webhooks -----------------------------------------------------------------------------------

def verify_webhook(payload: bytes, signature_header: str | None, secret: str,
                   tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> dict:
    """The event, if ``Stripe-Signature`` is a valid HMAC of the payload made within ``tolerance``
    seconds; else ``BadWebhookSignature`` (tampered body, wrong secret, stale or missing header)."""
    import json

    import stripe

    if not signature_header:
        raise BadWebhookSignature("the Stripe-Signature header is missing", field="Stripe-Signature")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature_header, secret, tolerance)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise BadWebhookSignature(f"the webhook was refused: {exc}", field="Stripe-Signature") from None
    try:
        event = json.loads(payload)
    except ValueError:
        raise BadWebhookSignature("the webhook body is not JSON", field="body") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadWebhookSignature("the webhook body is not a Stripe event", field="body")
    return event
