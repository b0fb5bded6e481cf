"""Payments use cases, one concern per module:

- ``record``: the payment record and its one update-with-retry; ``booking``: the booking as payments
  reads it and the terms it is settled by;
- ``holds``: authorising the card at booking and renewing holds; ``approvals``: more than the cap;
  ``extras``: parts and tip;
- ``settlement``: price, capture, divide, pay out, receipt; ``cancellation``: release or late fee;
  ``refunds``: operations' refunds (serialised by a reservation written before Stripe is called);
- ``payouts``: transfers to helpers and their Connect accounts; ``statements``: the ledger;
- ``stripe_events``: Stripe's webhooks; ``views``: what the API shows.

The names below are the package's public face (handlers, effects and other services use them).
"""
from __future__ import annotations

from chalicelib.adapters import stripe_gateway as gw  # noqa: F401  (tests patch Stripe calls here)
from chalicelib.services.payments.approvals import (answer_extra_approval, extra_approval_view,  # noqa: F401
                                                    request_extra_approval)
from chalicelib.services.payments.booking import booking_terms  # noqa: F401
from chalicelib.services.payments.cancellation import cancel_payment, cancel_payment_effect  # noqa: F401
from chalicelib.services.payments.extras import add_part, billed_parts, set_tip  # noqa: F401
from chalicelib.services.payments.holds import (authorise_booking, hold_card_at_booking,  # noqa: F401
                                                renew_hold, renew_or_release_holds)
from chalicelib.services.payments.payouts import payout_status, start_onboarding  # noqa: F401
from chalicelib.services.payments.record import get_payment  # noqa: F401
from chalicelib.services.payments.refunds import refund_booking  # noqa: F401
from chalicelib.services.payments.settlement import settle_booking, settle_effect  # noqa: F401
from chalicelib.services.payments.statements import (booking_ledger, booking_movements,  # noqa: F401
                                                     helper_statement, post_movement, tenant_statement)
from chalicelib.services.payments.stripe_events import handle_stripe_event  # noqa: F401
from chalicelib.services.payments.views import payment_view  # noqa: F401
