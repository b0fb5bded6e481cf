"""The customer's Stripe Customer and the card saved for next time (table ``customers``:
``stripe_customer_id``, ``default_payment_method``, ``card_last4``)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _get, _record, _update
from chalicelib.store.records import SavedCardRecord


class Cards:
    def _model(self):
        from chalicelib.models.customers import Customer
        return Customer

    def get(self, customer_id: str) -> SavedCardRecord | None:
        item = _get(self._model(), customer_id, consistent=True)
        return _record(SavedCardRecord, item) if item is not None else None

    def set_stripe_customer(self, customer_id: str, stripe_customer_id: str) -> None:
        Customer = self._model()
        _update(Customer(customer_id), actions=[Customer.stripe_customer_id.set(stripe_customer_id)],
                condition=Customer.customer_id.exists(), refused=f"customer {customer_id} is not there")

    def save_card(self, customer_id: str, payment_method: str, last4: str | None) -> None:
        Customer = self._model()
        _update(Customer(customer_id),
                actions=[Customer.default_payment_method.set(payment_method), Customer.card_last4.set(last4)],
                condition=Customer.customer_id.exists(), refused=f"customer {customer_id} is not there")


_cards = Cards()


def cards() -> Cards:
    """The saved cards repository in force (DynamoDB unless a test put a twin in place)."""
    return current("cards") or _cards
