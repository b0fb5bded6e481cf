"""Matching: public discovery of helpers near a place, and the helpers stream that keeps the geo
index in step with each helper's record."""
from __future__ import annotations

import logging

from chalice import Blueprint

from chalicelib.handlers.batch import image, process_stream
from chalicelib.handlers.common import ok
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)
log = logging.getLogger("crowdfix.matching")


def _parse_query(request, model):
    from pydantic import ValidationError

    from chalicelib.domain.errors import ValidationFailed

    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "query",
                   "detail": e["msg"].removeprefix("Value error, ")} for e in exc.errors()]
        first = errors[0]
        field = first["field"] if first["field"] != "query" else "lat"  # the only whole-query rule: the place
        raise ValidationFailed(f"{field}: {first['detail']}", field=field, extra={"errors": errors}) from None


@bp.route("/v1/discover", methods=["GET"])
def discover():
    """Helpers near a place for a category. No sign-in: shows no home location and no contact."""
    from chalicelib.domain.schemas import DiscoverQuery
    from chalicelib.services.matching import discover as find

    q = _parse_query(bp.current_request, DiscoverQuery)
    return ok(find(q.tenant, lat=q.lat, lon=q.lon, category=q.category, mode=q.mode, language=q.language,
                   when=q.at, limit=q.limit), headers={"Cache-Control": "public, max-age=30"})


@bp.on_dynamodb_record(stream_arn=stream_arn("helpers"), batch_size=50, starting_position="TRIM_HORIZON")
def on_helper_change(event):
    """Put a helper into the geo index when they can take work, take them out when not."""
    from chalicelib.models.helpers import Helper
    from chalicelib.services.matching import sync_index

    def handle(record):
        if record["eventName"] == "REMOVE":
            return  # the index entry went with the item
        helper = image(record, "NewImage", Helper)
        log.debug("helper %s index: %s", helper["helper_id"], sync_index(helper))

    # sync_index derives the keys from the record and writes them on the condition that the item
    # still has the fields they came from: a redelivered record rewrites the same keys or is
    # refused as stale, so no redelivery guard (it would cost a read and a write per helper change)
    return process_stream("helpers", event, handle, guard=False)
