"""The deployment is derived from the code: what the models, queues and app declare is what infra
builds (no CDK needed for these)."""
from chalicelib.queues import ALL_QUEUES


def test_every_model_becomes_a_table(derived):
    from chalicelib.models import all_models

    assert sorted(t["model"].rsplit(".", 1)[1] for t in derived["tables"]) == sorted(
        m.__name__ for m in all_models())


def test_ttl_and_indexes_come_from_the_models(derived):
    by_short = {t["short"]: t for t in derived["tables"]}
    assert by_short["signin-codes"]["ttl_attribute"] == "ttl"
    assert by_short["tenants"]["ttl_attribute"] is None
    assert {g["name"] for g in by_short["bookings"]["gsis"]} == {"by_customer", "by_helper", "by_tenant", "by_partner_ref"}
    assert by_short["offers"]["range_key"] == ["helper_id", "S"]


def test_every_queue_and_event_source_is_found(derived):
    assert [q["short"] for q in derived["queues"]] == [q.short_name for q in ALL_QUEUES]
    import app

    names = {f["name"] for f in derived["functions"]}
    assert {s.name for s in app.app.event_sources} <= names
    assert "api_handler" in names
    stream = {f["name"]: f["stream_table"] for f in derived["functions"] if f["kind"] == "dynamodb"}
    assert stream["on_booking_change"] == "crowdfix-prod-bookings"


def test_access_follows_the_code_a_handler_reaches(derived):
    fns = {f["name"]: f for f in derived["functions"]}
    # on_offer_change reads offers, sends time-outs, guards redelivery in the idempotency table, and
    # (through the shared batch module) may park work that used up its retries in the failure store
    assert fns["on_offer_change"]["tables"] == ["crowdfix-prod-failures", "crowdfix-prod-idempotency",
                                                "crowdfix-prod-offers"]
    assert fns["on_offer_change"]["queues_send"] == ["crowdfix-prod-work"]  # the offer-timeouts kind
    assert fns["on_offer_change"]["dlqs_send"] == []
    assert fns["on_offer_change"]["secrets"] == [] and not fns["on_offer_change"]["sends_email"]
    # the API signs tokens, sends sign-in e-mail and talks to Stripe; the offer time-out handler needs no secret
    assert {"TOKEN_SECRET", "STRIPE_SECRET_KEY"} <= set(fns["api_handler"]["secrets"]) and fns["api_handler"]["sends_email"]
    # the work queue's consumer sends notifications (e-mail) and parks expired webhooks in its DLQ
    assert fns["on_work"]["sends_email"] and fns["on_work"]["dlqs_send"] == ["crowdfix-prod-work-dlq"]
    assert "STRIPE_WEBHOOK_SECRET" not in fns["on_work"]["secrets"]
    assert "crowdfix-prod-bookings" in fns["on_booking_change"]["tables"]
