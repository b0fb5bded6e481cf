"""First-party attribution per tenant, affiliate code and campaign (``attribution``, issue 17.7).

Every count is one transaction: the event's marker (``e#<event id>``, only if new) and an ``ADD``
of 1 on the counter row, so a redelivered event (a beacon sent twice, a retried request, a
repeated stream record) is counted once and two concurrent ones both count."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.store import current
from chalicelib.store.records import ATTRIBUTION_KINDS, AttributionCounts, AttributionLink

NONE = "-"  # the affiliate or campaign of an event that had none
EVENT_TTL = timedelta(days=30)
RATE_TTL = timedelta(minutes=10)  # a beacon rate window's row outlives its minute, then expires


def counter_sk(affiliate: str | None, campaign: str | None) -> str:
    return f"c#{affiliate or NONE}#{campaign or NONE}"


class Attribution:
    """Counters, event markers and booking links in the ``attribution`` table."""

    def count(self, tenant_id: str, kind: str, event_id: str, *, affiliate: str | None = None,
              campaign: str | None = None, at: str) -> bool:
        """Count one ``kind`` event. False, and nothing moved, if ``event_id`` was counted before."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        from chalicelib.aws import tx_connection
        from chalicelib.models.attribution import AttributionItem as A
        from chalicelib.store.conditions import cancellation_codes

        if kind not in ATTRIBUTION_KINDS:
            raise ValueError(f"unknown attribution event {kind}")
        # two events on one counter at once cancel each other's transaction (TransactionConflict):
        # the marker makes a second try safe, so it is tried again (a few times, then raised)
        for attempt in range(5):
            try:
                with TransactWrite(connection=tx_connection()) as tx:
                    tx.save(A(tenant_id, f"e#{event_id}", ttl=EVENT_TTL, updated_at=at),
                            condition=A.pk.does_not_exist())
                    tx.update(A(tenant_id, counter_sk(affiliate, campaign)),
                              actions=[getattr(A, kind).add(1), A.affiliate.set(affiliate or NONE),
                                       A.campaign.set(campaign or NONE), A.updated_at.set(at)])
                break
            except TransactWriteError as exc:
                codes = cancellation_codes(exc)
                if (codes or [None])[0] == "ConditionalCheckFailed":
                    return False
                if "TransactionConflict" not in codes or attempt == 4:
                    raise
        return True

    def take_beacon(self, tenant_id: str, window: str, limit: int, ttl: timedelta = RATE_TTL) -> bool:
        """Take one of ``limit`` beacon events in rate window ``window`` (``rl#<source>#<minute>``):
        one conditional ``ADD`` (taken only while the count is below ``limit``), so concurrent
        beacons never take more than ``limit``. False: the window is full."""
        from chalicelib.models.attribution import AttributionItem as A
        from chalicelib.store._dynamo import _update
        from chalicelib.store.conditions import ConditionFailed

        item = A(tenant_id, f"rl#{window}")
        try:
            _update(item, actions=[A.hits.add(1), A.ttl.set(ttl)],
                    condition=A.hits.does_not_exist() | (A.hits < limit), refused="rate window full")
        except ConditionFailed:
            return False
        return True

    def counts(self, tenant_id: str) -> list[AttributionCounts]:
        """Every counter row of the tenant, by affiliate then campaign."""
        from chalicelib.models.attribution import AttributionItem as A
        rows = [AttributionCounts(tenant_id=tenant_id, affiliate=r.affiliate or NONE, campaign=r.campaign or NONE,
                                  **{k: int(getattr(r, k) or 0) for k in ATTRIBUTION_KINDS})
                for r in A.query(tenant_id, A.sk.startswith("c#"), consistent_read=True)]
        return sorted(rows, key=lambda c: (c.affiliate, c.campaign))

    def link_booking(self, link: AttributionLink) -> None:
        """Remember where a booking came from (written once; a retry changes nothing)."""
        from pynamodb.exceptions import PutError

        from chalicelib.models.attribution import AttributionItem as A
        from chalicelib.store.conditions import is_condition_failure
        try:
            A(f"booking#{link.booking_id}", "link", link={
                "tenant_id": link.tenant_id, "affiliate": link.affiliate, "campaign": link.campaign,
                "utm_source": link.utm_source, "utm_medium": link.utm_medium, "utm_campaign": link.utm_campaign,
                "channel": link.channel}).save(condition=A.pk.does_not_exist())
        except PutError as exc:
            if not is_condition_failure(exc):
                raise

    def booking_link(self, booking_id: str) -> AttributionLink | None:
        from chalicelib.models.attribution import AttributionItem as A
        try:
            row = A.get(f"booking#{booking_id}", "link", consistent_read=True)
        except A.DoesNotExist:
            return None
        d = row.link.as_dict() if hasattr(row.link, "as_dict") else dict(row.link or {})
        return AttributionLink(booking_id=booking_id, **{k: d.get(k) for k in AttributionLink.FIELDS})


_attribution = Attribution()


def attribution() -> Attribution:
    """The attribution repository in force (DynamoDB unless a test put a twin in place)."""
    return current("attribution") or _attribution
