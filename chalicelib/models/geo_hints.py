from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class GeoHint(Model):
    """A density hint shared by every container: how many accepted helpers (and index items) per
    km² the last search of a partition with one filter key saw. Only sizes a search's first step;
    never changes an answer. Expires after a day without a search there."""

    class Meta(BaseMeta):
        table_name = table_name("geo-hints")

    key = UnicodeAttribute(hash_key=True)       # "<pool>|<res-5 cell>|<filter key>"
    density = NumberAttribute()                 # accepted helpers per km²
    read_density = NumberAttribute(null=True)   # index items per km²
    updated_at = NumberAttribute()              # epoch seconds
    ttl = TTLAttribute()
