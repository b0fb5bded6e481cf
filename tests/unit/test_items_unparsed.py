"""The geo search takes Query items as DynamoDB's JSON instead of botocore's parse: same result."""
from __future__ import annotations

import json

import botocore.session
from botocore.parsers import create_parser

from chalicelib.store.helper_index import _items_unparsed

ITEMS = [{"helper_id": {"S": "h_1"}, "lat": {"N": "47.3769"}, "skills": {"M": {"printer": {"N": "2"}}},
          "languages": {"L": [{"S": "de"}, {"S": "fr"}]}, "on_call": {"BOOL": True}, "bio": {"NULL": True},
          "tags": {"SS": ["a", "b"]}}]


def _parse(body: dict, hook: bool) -> dict:
    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("Query")
    response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode()}
    custom: dict = {}
    if hook:
        _items_unparsed(response_dict=response, customized_response_dict=custom)
    parsed = create_parser("json").parse(response, model.output_shape)
    parsed.update(custom)
    parsed.pop("ResponseMetadata", None)
    return parsed


def test_items_are_what_botocore_would_have_parsed():
    body = {"Items": ITEMS, "Count": 1, "ScannedCount": 1, "LastEvaluatedKey": {"helper_id": {"S": "h_1"}}}
    assert _parse(body, hook=True) == _parse(body, hook=False)


def test_binary_values_are_left_to_botocore():
    body = {"Items": [{"k": {"S": "x"}, "blob": {"B": "aGk="}}], "Count": 1, "ScannedCount": 1}
    assert _parse(body, hook=True)["Items"][0]["blob"] == {"B": b"hi"}
