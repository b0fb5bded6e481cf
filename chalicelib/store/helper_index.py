"""The helpers' matching indexes (``helpers`` table, GSIs ``by_geo`` and ``by_remote_pool``).

Searches read hundreds of items, so this reads them the fast way: the raw DynamoDB client, items
handed over as the JSON DynamoDB sent (no botocore shape walk) and turned into plain values here.
Items are the index projection (``models.helpers.MATCH_PROJECTION`` plus the keys) as plain dicts:
the geo search ranks them as they come. The index keys themselves are written by
``helpers().sync_index_keys`` from the helpers stream.
"""
from __future__ import annotations

from typing import Any, Iterator

from chalicelib.store import current


def _deserialize(item: dict) -> dict:
    """DynamoDB JSON to plain values (numbers as int/float). boto3's TypeDeserializer goes through
    Decimal contexts and costs ~3x as much; a search may read hundreds of items."""
    return {k: _value(v) for k, v in item.items()}


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        f = float(text)
        return int(f) if f.is_integer() else f


def _value(v: dict):
    (kind, val), = v.items()
    if kind == "S":
        return val
    if kind == "N":
        return _number(val)
    if kind == "BOOL":
        return val
    if kind == "M":
        return {k: _value(x) for k, x in val.items()}
    if kind == "L":
        return [_value(x) for x in val]
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(val)
    if kind == "NS":
        return {_number(x) for x in val}
    return val  # B / BS: not in the projection


def _items_unparsed(response_dict: dict, customized_response_dict: dict, **_) -> None:
    """``before-parse`` hook for ``Query``: hand the items over as the JSON DynamoDB sent instead of
    letting botocore walk its shape model over every attribute of every item (most of a search's
    CPU at a few hundred items). For DynamoDB's JSON protocol the result is the same, except for
    binary values (base64 text here, bytes from botocore): bodies with any are left to botocore."""
    import json

    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not body or b'"B' in body:
        return
    doc = json.loads(body)
    if "Items" not in doc:
        return
    customized_response_dict["Items"] = doc.pop("Items")
    response_dict["body"] = json.dumps(doc).encode()


def geo_client():
    """The DynamoDB client for index searches, with the fast item hand-over registered once."""
    from chalicelib.aws import client

    ddb = client("dynamodb")
    ddb.meta.events.register("before-parse.dynamodb.Query", _items_unparsed, unique_id="crowdfix-items-unparsed")
    return ddb


class HelperIndex:
    def cell_pages(self, geo_pk: str, sk_lo: str, sk_hi: str,
                   table: str | None = None) -> Iterator[tuple[list[dict], float]]:
        """The index items of one geo cell between two sort keys, a page at a time, each with the
        capacity units it cost (the search planner learns the item size from it). ``table`` only
        for the benchmark's tables."""
        from chalicelib.models.helpers import Helper

        ddb = geo_client()
        args: dict[str, Any] = {
            "TableName": table or Helper.Meta.table_name, "IndexName": "by_geo",
            "KeyConditionExpression": "geo_pk = :pk AND geo_sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":pk": {"S": geo_pk}, ":lo": {"S": sk_lo}, ":hi": {"S": sk_hi}},
            "ReturnConsumedCapacity": "TOTAL",  # free; teaches the planner the item size (1 MB pages)
        }
        while True:
            page = ddb.query(**args)
            yield ([_deserialize(i) for i in page.get("Items", [])],
                   float((page.get("ConsumedCapacity") or {}).get("CapacityUnits") or 0))
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def remote_pages(self, pool: str, *, category: str, language: str) -> Iterator[list[dict]]:
        """Remote helpers of ``pool`` who speak ``language`` and list the skill, best rated first,
        a page (up to 200 read) at a time; stop reading by not asking for the next page."""
        from chalicelib.models.helpers import Helper

        ddb = geo_client()
        args: dict[str, Any] = {
            "TableName": Helper.Meta.table_name, "IndexName": "by_remote_pool",
            "KeyConditionExpression": "remote_pool = :p",
            "FilterExpression": "contains(languages, :lang) AND attribute_exists(skills.#cat)",
            "ExpressionAttributeNames": {"#cat": category},
            "ExpressionAttributeValues": {":p": {"S": pool}, ":lang": {"S": language}},
            "Limit": 200,
        }
        while True:
            page = ddb.query(**args)
            yield [_deserialize(raw) for raw in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


_index = HelperIndex()


def helper_index() -> HelperIndex:
    """The helper index in force (DynamoDB unless a test put a twin in place)."""
    return current("helper_index") or _index
