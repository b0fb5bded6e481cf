"""Matching: public discovery of helpers near a place, and the helpers stream that keeps the geo
index in step with each helper's record."""
from __future__ import annotations

import logging

from chalice import Blueprint

from chalicelib.handlers.batch import image, process_stream
from chalicelib.http import Edge, Reply
from chalicelib.lazy import lazy
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)
api = Edge(bp, tag="discovery")
find = lazy("chalicelib.services.matching")
helper_model = lazy("chalicelib.models.helpers")
log = logging.getLogger("crowdfix.matching")


@api.get("/v1/discover", query_model="schemas:DiscoverQuery", query_whole_field="lat", response="DiscoverOut")
def discover(call):
    """Helpers near a place for a category. No sign-in: shows no home location and no contact"""
    q = call.query_model  # a rule across the whole query is about the place, so it names lat
    return Reply(find.discover(q.tenant, lat=q.lat, lon=q.lon, category=q.category, mode=q.mode, language=q.language,
                               when=q.at, limit=q.limit), headers={"Cache-Control": "public, max-age=30"})


@bp.on_dynamodb_record(stream_arn=stream_arn("helpers"), batch_size=50, starting_position="TRIM_HORIZON")
def on_helper_change(event):
    """Put a helper into the geo index when they can take work, take them out when not."""
    def handle(record):
        if record["eventName"] == "REMOVE":
            return  # the index entry went with the item
        helper = image(record, "NewImage", helper_model.Helper)
        log.debug("helper %s index: %s", helper["helper_id"], find.sync_index(helper))

    # sync_index derives the keys from the record and writes them on the condition that the item
    # still has the fields they came from: a redelivered record rewrites the same keys or is
    # refused as stale, so no redelivery guard (it would cost a read and a write per helper change)
    return process_stream("helpers", event, handle, guard=False)
