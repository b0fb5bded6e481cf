"""The served OpenAPI document is typed all the way down: every object in a response, request or
webhook payload names its properties (no bare ``{"type": "object"}``), each webhook event type has
its own payload schema, PATCH says it is a JSON merge patch, and /v1/docs shows bodies and examples."""
import pytest

from chalicelib.domain.partners import WEBHOOK_EVENTS


@pytest.fixture(scope="module")
def doc():
    import app  # noqa: F401  (registers every route declaration)
    from chalicelib.http import openapi
    return openapi.build()


def untyped_objects(node, where="", out=None):
    """Paths of schemas that are objects without properties (``additionalProperties`` with a
    typed value schema is a typed map, ``false`` a closed empty object: both fine)."""
    out = [] if out is None else out
    if isinstance(node, dict):
        is_object = node.get("type") == "object" or (isinstance(node.get("type"), list) and "object" in node["type"])
        extra = node.get("additionalProperties")
        if is_object and not node.get("properties") and not isinstance(extra, dict) and extra is not False \
                and "$ref" not in node:
            out.append(where or "/")
        for k, v in node.items():
            untyped_objects(v, f"{where}/{k}", out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            untyped_objects(v, f"{where}/{i}", out)
    return out


def test_no_untyped_object_anywhere_in_the_document(doc):
    offenders = untyped_objects(doc["components"]["schemas"], "#/components/schemas")
    offenders += untyped_objects(doc["webhooks"], "#/webhooks")
    offenders += [p for p in untyped_objects(doc["paths"], "#/paths")]
    assert offenders == [], "\n".join(offenders)


def test_the_checker_finds_an_untyped_object():
    assert untyped_objects({"A": {"type": "object", "properties": {"x": {"type": "object"}}}}) == ["/A/properties/x"]
    assert untyped_objects({"m": {"type": "object", "additionalProperties": {"type": "integer"}}}) == []


def test_each_webhook_event_has_its_own_payload_schema(doc):
    assert set(doc["webhooks"]) == set(WEBHOOK_EVENTS)
    schemas = doc["components"]["schemas"]
    for event, item in doc["webhooks"].items():
        ref = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert schema["properties"]["type"]["const"] == event
        data = schema["properties"]["data"]
        data = schemas[data["$ref"].rsplit("/", 1)[1]] if "$ref" in data else data
        assert "booking_id" in data["properties"] and data.get("required"), event


def test_patch_is_a_json_merge_patch_and_says_so(doc):
    op = doc["paths"]["/v1/tenants/{tenant_id}"]["patch"]
    assert "application/merge-patch+json" in op["requestBody"]["content"]
    assert "RFC 7396" in op["description"]


def test_reference_page_shows_request_and_response_bodies_and_examples(doc):
    from chalicelib.domain.pages import reference_page
    html = reference_page(doc)
    start = html.index('id="post_partner_bookings"')
    article = html[start:html.index("</article>", start)]
    assert "<h4>Request body</h4>" in article and "<h4>Response 201</h4>" in article
    assert "Example" in article and "external_ref" in article


def test_each_webhook_example_is_valid_against_its_schema_and_shown_in_the_reference(doc):
    from jsonschema import Draft202012Validator

    from chalicelib.domain.pages import reference_page
    html = reference_page(doc)
    for event, item in doc["webhooks"].items():
        media = item["post"]["requestBody"]["content"]["application/json"]
        example = media["examples"]["example1"]["value"]
        validator = Draft202012Validator({**media["schema"], "components": doc["components"]})
        assert [e.message for e in validator.iter_errors(example)] == [], event
        assert f'id="webhook-{event}"' in html
        bad = {**example, "data": {**example["data"], "booking_id": None}}
        assert list(validator.iter_errors(bad)), event  # the schema does check the payload
