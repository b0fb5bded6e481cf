"""The text scrubbing erasure applies to copies of a person's data (services/erasure.py)."""
from __future__ import annotations

import json

from chalicelib.services.erasure import ERASED, Subject, scrub_json, scrub_text


def test_values_are_replaced_inside_json_strings_only():
    doc = json.dumps({"data": {"name": "Erika Muster", "amount": 18001, "note": "call Erika Muster at 8001"},
                      "8001": "key stays"}, separators=(",", ":"))
    out = json.loads(scrub_json(doc, {"Erika Muster", "8001"}))
    assert out["data"] == {"name": ERASED, "amount": 18001, "note": f"call {ERASED} at {ERASED}"}
    assert out["8001"] == "key stays"


def test_an_unchanged_document_comes_back_byte_for_byte():
    doc = '{"b": 1,  "a": "x"}'
    assert scrub_json(doc, {"Erika"}) is doc


def test_non_ascii_text_keeps_its_encoding_and_longer_values_go_first():
    doc = json.dumps({"t": "Zürich, Geheimweg 7, Geheimweg"}, ensure_ascii=False)
    out = scrub_json(doc, {"Geheimweg", "Geheimweg 7"})
    assert "Zürich" in out and json.loads(out)["t"] == f"Zürich, {ERASED}, {ERASED}"
    assert scrub_text("no json: Geheimweg 7", {"Geheimweg 7"}) == f"no json: {ERASED}"


def test_a_record_mentions_the_person_by_id_booking_or_value():
    s = Subject(kind="customer", id="c_abc123", tenant_id="t", email="e@x.org", values={"Zoë Z"},
                booking_ids=["b_1"])
    assert s.mentions('{"customer_id":"c_abc123"}') and s.mentions("b_1 failed")
    assert s.mentions(json.dumps({"n": "Zoë Z"}))  # found escaped as \\u00eb too
    assert not s.mentions('{"customer_id":"c_other"}') and not s.mentions(None)
