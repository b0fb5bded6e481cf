from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class AttributionItem(Model):
    """First-party attribution of a tenant (issue 17.7), one table, three kinds of item:

    - counters: ``pk`` the tenant, ``sk`` ``c#<affiliate>#<campaign>``, one number per kind of event
      (``landing_visits``, ``widget_opens``, ``bookings_started``, ``bookings_completed``,
      ``call_clicks``), raised with ``ADD`` in the same transaction that puts the event's marker;
    - event markers: ``pk`` the tenant, ``sk`` ``e#<event id>``, written only if new, so a
      redelivered event is counted once; they expire after 30 days;
    - a booking's attribution: ``pk`` ``booking#<id>``, ``sk`` ``link`` (tenant, affiliate,
      campaign and UTM parameters), so its completion counts for the same campaign."""

    class Meta(BaseMeta):
        table_name = table_name("attribution")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    affiliate = UnicodeAttribute(null=True)
    campaign = UnicodeAttribute(null=True)
    landing_visits = NumberAttribute(null=True)
    widget_opens = NumberAttribute(null=True)
    bookings_started = NumberAttribute(null=True)
    bookings_completed = NumberAttribute(null=True)
    call_clicks = NumberAttribute(null=True)
    link = MapAttribute(null=True)
    hits = NumberAttribute(null=True)  # a beacon rate window (``sk`` ``rl#...``): events taken in it
    updated_at = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True)
