from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class RatingAggregate(Model):
    """Review counters per scope, kept only with atomic ``ADD`` by the reviews stream handler.

    ``scope``: ``helper#<id>``, ``tenant#<id>`` or ``platform``. ``bucket``: ``all`` for all time, or
    ``d#YYYY-MM-DD`` (tenant and platform only) so operator figures can sum any period.
    Counter names are ``domain.ratings.COUNTERS``; ``no_shows`` counts jobs a helper dropped.
    """

    class Meta(BaseMeta):
        table_name = table_name("rating-aggregates")

    scope = UnicodeAttribute(hash_key=True)
    bucket = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute(null=True)
    reviews = NumberAttribute(default=0)  # the counter ``count`` (Model.count is taken)
    star_sum = NumberAttribute(default=0)
    h1 = NumberAttribute(default=0)
    h2 = NumberAttribute(default=0)
    h3 = NumberAttribute(default=0)
    h4 = NumberAttribute(default=0)
    h5 = NumberAttribute(default=0)
    patience_sum = NumberAttribute(default=0)
    clarity_sum = NumberAttribute(default=0)
    recommend = NumberAttribute(default=0)
    rebook = NumberAttribute(default=0)
    no_shows = NumberAttribute(default=0)
