from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib.domain import tokens
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.schemas import CompleteBooking, CreateBooking


def test_token_round_trip():
    t = tokens.issue("s3cret", role="helper", subject="h_x", tenant="crowdfix", ttl_seconds=60)
    claims = tokens.verify("s3cret", t)
    assert (claims["role"], claims["sub"], claims["ten"]) == ("helper", "h_x", "crowdfix")


def test_token_with_other_secret_is_refused():
    t = tokens.issue("s3cret", role="ops", subject="s", tenant="*", ttl_seconds=60)
    with pytest.raises(Unauthenticated):
        tokens.verify("other", t)


def test_tampered_token_is_refused():
    t = tokens.issue("s3cret", role="customer", subject="c_1", tenant="crowdfix", ttl_seconds=60)
    head, body, sig = t.split(".")
    forged = tokens.issue("x", role="ops", subject="c_1", tenant="*", ttl_seconds=60).split(".")[1]
    with pytest.raises(Unauthenticated):
        tokens.verify("s3cret", f"{head}.{forged}.{sig}")


def test_expired_token_is_refused():
    t = tokens.issue("s3cret", role="customer", subject="c", tenant="t", ttl_seconds=10, now=1000)
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify("s3cret", t, now=1011)


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "....", "eyJ.eyJ.x"])
def test_garbage_token_is_refused(garbage):
    with pytest.raises(Unauthenticated):
        tokens.verify("s3cret", garbage)


BASE = {"category": "printer", "description": "prints nothing", "mode": "remote", "contact": {"name": "Erika"}}


def test_minimal_remote_booking_is_valid():
    b = CreateBooking.model_validate(BASE)
    assert b.wanted.asap and b.language == "de"


@pytest.mark.parametrize("change", [
    {"category": "toaster"}, {"description": ""}, {"mode": "onsite"}, {"language": "es"},
    {"contact": {}}, {"price_cap": {"amount": -1, "currency": "CHF"}}, {"price_cap": {"amount": 100, "currency": "chf"}},
    {"price_cap": {"amount": 1.5, "currency": "CHF"}},
    {"wanted": {"asap": False}},
    {"wanted": {"asap": False, "at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()}},
    {"unknown": 1}, {"location": {"lat": 91, "lon": 0}},
])
def test_invalid_bookings_are_refused(change):
    with pytest.raises(ValidationError):
        CreateBooking.model_validate({**BASE, **change})


def test_minutes_worked_must_be_positive():
    with pytest.raises(ValidationError):
        CompleteBooking.model_validate({"minutes_worked": 0})
