"""Issue 16, item 2: never a 500 from input. Body size and nesting are bounded before JSON parsing;
cursors are opaque, signed and bound to the listing (and caller) they continue."""
from __future__ import annotations

import base64
import json

import pytest

from chalicelib.http.body import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth, read_json
from chalicelib.domain.errors import MalformedRequest
from tests.stack_fixtures import booking_body


def test_depth_is_counted_without_parsing_and_strings_do_not_count():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'{"a": "\\"[[[[["}') == 1
    assert json_depth(b"[" * 100_000, limit=16) == 17  # stops counting past the limit
    with pytest.raises(MalformedRequest, match="nests deeper"):
        read_json(b"[" * 1000 + b"]" * 1000)
    assert read_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None


def problem(status, body, headers, expected_status):
    assert status == expected_status, body
    assert headers.get("Content-Type", headers.get("content-type")) == "application/problem+json"
    assert body["status"] == expected_status and body["detail"] and body["type"].startswith("https://")
    return body


@pytest.mark.integration
@pytest.mark.parametrize("raw", [
    "[" * 1000 + "]" * 1000,                                   # the reported RecursionError
    '{"email":' + "[" * 1000 + "]" * 1000 + "}",
    '{"a":' * 5000 + "1" + "}" * 5000,
    "[" * 60_000,                                              # unbalanced, still bounded
])
def test_deeply_nested_bodies_answer_400_not_500(api, raw):
    body = problem(*api.call("POST", "/v1/auth/code", raw), 400)
    assert body["field"] == "body"


@pytest.mark.integration
def test_oversized_bodies_answer_413(api):
    raw = json.dumps({"email": "a@example.org", "role": "customer", "pad": "x" * MAX_BODY_BYTES})
    problem(*api.call("POST", "/v1/auth/code", raw), 413)


@pytest.mark.integration
def test_a_crafted_cursor_answers_422(api, signin):
    customer = signin()
    crafted = base64.urlsafe_b64encode(json.dumps({"a": 1}).encode()).decode()
    for cursor in (crafted, crafted + ".AAAAAAAAAAAAAAAAAAAAAA", "x" * 5000, "."):
        body = problem(*api.call("GET", f"/v1/bookings?cursor={cursor}", headers=customer), 422)
        assert body["field"] == "cursor"


@pytest.mark.integration
def test_signed_cursors_page_through_and_work_only_for_their_caller(api, signin):
    alice, bob = signin(), signin()
    made = {api.call("POST", "/v1/bookings", booking_body(), alice)[1]["booking_id"] for _ in range(3)}
    seen, cursor, first_cursor = [], None, None
    for _ in range(5):
        status, page, _ = api.call("GET", "/v1/bookings?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                   headers=alice)
        assert status == 200, page
        seen += [b["booking_id"] for b in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        first_cursor = first_cursor or cursor
    assert made <= set(seen)
    # someone else's cursor, and one edited by a byte, are refused
    problem(*api.call("GET", f"/v1/bookings?cursor={first_cursor}", headers=bob), 422)
    inner, _, mac = first_cursor.rpartition(".")
    edited = base64.urlsafe_b64encode(base64.urlsafe_b64decode(inner.encode())
                                      .replace(b"booking_id", b"booking_iD")).decode()
    problem(*api.call("GET", f"/v1/bookings?cursor={edited}.{mac}", headers=alice), 422)
