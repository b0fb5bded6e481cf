"""The browsers that accept Web Push for a person (``push-subscriptions``)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _fields, _get, _record
from chalicelib.store.records import PushSubscriptionRecord


class PushSubscriptions:
    def for_owner(self, owner: str) -> list[PushSubscriptionRecord]:
        from chalicelib.models.push_subscriptions import PushSubscription
        return [_record(PushSubscriptionRecord, s) for s in PushSubscription.query(owner)]

    def get(self, owner: str, subscription_id: str) -> PushSubscriptionRecord | None:
        from chalicelib.models.push_subscriptions import PushSubscription
        item = _get(PushSubscription, owner, subscription_id, consistent=False)
        return _record(PushSubscriptionRecord, item) if item is not None else None

    def put(self, sub: PushSubscriptionRecord) -> None:
        """Store the subscription (a browser subscribing again replaces its keys)."""
        from chalicelib.models.push_subscriptions import PushSubscription
        PushSubscription(**_fields(sub)).save()

    def delete(self, owner: str, subscription_id: str) -> None:
        """Remove it (nothing happens if it is gone already)."""
        from chalicelib.models.push_subscriptions import PushSubscription
        PushSubscription(owner, subscription_id).delete()


_subs = PushSubscriptions()


def push_subscriptions() -> PushSubscriptions:
    """The push subscriptions repository in force (DynamoDB unless a test put a twin in place)."""
    return current("push_subscriptions") or _subs
