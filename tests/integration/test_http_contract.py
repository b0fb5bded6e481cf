"""Bad input gets a clear 4xx problem body; roles and ownership are enforced on every route. Told as
given / when / then, one behaviour per test."""
import pytest

from tests.integration.story import given_a_booking
from tests.stack_fixtures import booking_body, latest_code

pytestmark = pytest.mark.integration


# ---- given / then ----------------------------------------------------------------------------------

def assert_problem(status, body, expected, field=None):
    assert status == expected, body
    assert {"type", "title", "detail", "status"} <= body.keys()
    if field:
        assert body.get("field") == field, body


def given_a_code_sent_to(api, stack, email: str, role: str = "customer") -> str:
    assert api.call("POST", "/v1/auth/code", {"email": email, "role": role})[0] == 202
    return latest_code(stack["services"], email)


def when_signing_in(api, email: str, code: str, role: str = "customer"):
    return api.call("POST", "/v1/auth/token", {"email": email, "role": role, "code": code})[:2]


# ---- input ------------------------------------------------------------------------------------------

def test_unknown_route_is_a_404_problem(api):
    # when a path no route declares is asked for, then it is a 404 problem
    status, body, _ = api.call("GET", "/v1/nothing-here")
    assert_problem(status, body, 404)


@pytest.mark.parametrize("raw,field", [
    ("not json", "body"), ("[1,2]", "body"), ("", "body"),
])
def test_unreadable_bodies(api, signin, raw, field):
    # given a customer
    customer = signin()
    # when she posts a body that is not a JSON object
    status, body, _ = api.call("POST", "/v1/bookings", raw, customer)
    # then it is 400 naming the body
    assert_problem(status, body, 400, field)


@pytest.mark.parametrize("change,field", [
    ({"category": "toaster"}, "category"),
    ({"mode": "onsite", "location": None}, "body"),
    ({"contact": {"name": ""}}, "contact.name"),
    ({"price_cap": {"amount": 100, "currency": "EUR"}}, "price_cap.currency"),
    ({"preferred_helper_id": "h_doesnotexist"}, "preferred_helper_id"),
    ({"wanted": {"asap": False, "at": "2001-01-01T10:00:00Z"}}, "wanted"),
])
def test_invalid_bookings_name_the_field(api, signin, change, field):
    # given a customer
    customer = signin()
    # when she books with one thing wrong
    status, body, _ = api.call("POST", "/v1/bookings", booking_body(**change), customer)
    # then it is 422 naming what is wrong
    assert_problem(status, body, 422, field)


@pytest.mark.parametrize("path,field", [
    ("/v1/bookings/not-an-id", "booking_id"), ("/v1/bookings?limit=abc", "limit"),
    ("/v1/bookings?limit=1000", "limit"), ("/v1/bookings?cursor=%%%", "cursor"),
])
def test_bad_ids_and_queries_are_422_naming_the_parameter(api, signin, path, field):
    # given a customer
    customer = signin()
    # when she reads with a malformed id, limit or cursor, then it is 422 naming it
    assert_problem(*api.call("GET", path, headers=customer)[:2], 422, field)


# ---- who may call ---------------------------------------------------------------------------------

def test_routes_need_sign_in(api):
    # when routes for signed-in callers are called without a token, then each is 401
    for method, path in [("POST", "/v1/bookings"), ("GET", "/v1/bookings"), ("GET", "/v1/helper/offers"),
                         ("POST", "/v1/bookings/b_abcdefgh/accept"), ("GET", "/v1/me")]:
        status, body, headers = api.call(method, path, {})
        assert_problem(status, body, 401)


def test_forged_token_is_refused(api):
    from chalicelib.domain import tokens
    # given an ops token signed with a guessed secret
    forged = tokens.issue("guessed-secret", role="ops", subject="s_x", tenant="*", ttl_seconds=60)
    # when it is used, then it is 401
    status, body, _ = api.call("GET", "/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(status, body, 401)


def test_roles_are_enforced(api, signin):
    # given a customer
    customer = signin()
    # when she calls helper routes, then each is 403
    assert_problem(*api.call("GET", "/v1/helper/offers", headers=customer)[:2], 403)
    assert_problem(*api.call("POST", "/v1/bookings/b_abcdefgh/accept", headers=customer)[:2], 403)


def test_another_customers_booking_is_not_found(api, signin):
    # given Alice's booking
    booking = given_a_booking(api, signin)
    bob = signin()
    # when Bob reads or cancels it, then it does not exist for him
    assert_problem(*api.call("GET", booking.path, headers=bob)[:2], 404)
    assert_problem(*api.call("POST", f"{booking.path}/cancel", {}, bob)[:2], 404)


def test_a_helper_not_offered_a_booking_never_sees_its_address(api, signin):
    # given a booking, and a helper who may or may not be among those offered it
    booking = given_a_booking(api, signin)
    stranger = signin("helper3@crowdfix.local", "helper")
    # when the helper reads it
    status, body, _ = api.call("GET", booking.path, headers=stranger)
    # then it is not found, or seen without the address
    assert status == 404 or (status == 200 and "address" not in body["location"]), (status, body)


# ---- idempotent booking ---------------------------------------------------------------------------

def test_the_same_idempotency_key_returns_the_first_booking(api, signin):
    # given a customer and an Idempotency-Key
    customer = signin()
    key = {"Idempotency-Key": "retry-abc-1", **customer}
    # when she books twice with it
    s1, first, _ = api.call("POST", "/v1/bookings", booking_body(), key)
    s2, again, headers = api.call("POST", "/v1/bookings", booking_body(), key)
    # then the second answer is the first booking, replayed, and she has one booking
    assert (s1, s2) == (201, 200) and first["booking_id"] == again["booking_id"]
    assert headers.get("Idempotent-Replayed") == "true"
    items = api.call("GET", "/v1/bookings", headers=customer)[1]["items"]
    assert [b["booking_id"] for b in items] == [first["booking_id"]]


def test_the_same_idempotency_key_for_another_booking_is_422(api, signin):
    # given a booking made with an Idempotency-Key
    customer = signin()
    key = {"Idempotency-Key": "retry-abc-2", **customer}
    assert api.call("POST", "/v1/bookings", booking_body(), key)[0] == 201
    # when the key comes again with another booking
    s3, body, _ = api.call("POST", "/v1/bookings", booking_body(description="something else entirely"), key)
    # then it is 422 naming the header, and still one booking
    assert_problem(s3, body, 422, "Idempotency-Key")
    assert len(api.call("GET", "/v1/bookings", headers=customer)[1]["items"]) == 1


# ---- sign-in codes --------------------------------------------------------------------------------

def test_a_sign_in_code_works_once(api, stack):
    # given a code e-mailed to a customer
    email = "code-test@example.org"
    code = given_a_code_sent_to(api, stack, email)
    # when she signs in with it, then again with the same code
    first = when_signing_in(api, email, code)
    second = when_signing_in(api, email, code)
    # then the first works and the second is 401
    assert first[0] == 200, first
    assert_problem(*second, 401)


def test_a_wrong_code_is_refused(api, stack):
    # given a code e-mailed to a customer
    email = "code-wrong@example.org"
    code = given_a_code_sent_to(api, stack, email)
    # when she types another code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # then it is 401
    assert_problem(*when_signing_in(api, email, wrong), 401)


def test_an_unknown_helper_gets_the_same_answer_and_no_code(api):
    # when a code is asked for an address no helper has, then the answer is the same 202
    assert api.call("POST", "/v1/auth/code", {"email": "nobody@example.org", "role": "helper"})[0] == 202
    # and no code signs them in
    assert_problem(*when_signing_in(api, "nobody@example.org", "123456", role="helper"), 401)


def test_a_malformed_address_is_422(api):
    # when a code is asked for "x", then it is 422 naming the e-mail
    assert_problem(*api.call("POST", "/v1/auth/code", {"email": "x", "role": "customer"})[:2], 422, "email")


def test_wrong_codes_lock_after_five_tries(api, stack):
    # given a code e-mailed to a customer
    email = "brute@example.org"
    code = given_a_code_sent_to(api, stack, email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # when five wrong codes are tried
    for _ in range(5):
        assert api.call("POST", "/v1/auth/token", {"email": email, "code": wrong})[0] == 401
    # then even the right code is refused for now: 429
    status, body, _ = api.call("POST", "/v1/auth/token", {"email": email, "code": code})
    assert_problem(status, body, 429)
