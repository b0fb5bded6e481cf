"""Bad input gets a clear 4xx problem body; roles and ownership are enforced on every route."""
import pytest

from tests.stack_fixtures import booking_body

pytestmark = pytest.mark.integration


def assert_problem(status, body, expected, field=None):
    assert status == expected, body
    assert {"type", "title", "detail", "status"} <= body.keys()
    if field:
        assert body.get("field") == field, body


def test_unknown_route_is_a_404_problem(api):
    status, body, _ = api.call("GET", "/v1/nothing-here")
    assert_problem(status, body, 404)


@pytest.mark.parametrize("raw,field", [
    ("not json", "body"), ("[1,2]", "body"), ("", "body"),
])
def test_unreadable_bodies(api, signin, raw, field):
    customer = signin()
    status, body, _ = api.call("POST", "/v1/bookings", raw, customer)
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
    customer = signin()
    status, body, _ = api.call("POST", "/v1/bookings", booking_body(**change), customer)
    assert_problem(status, body, 422, field)


def test_routes_need_sign_in(api):
    for method, path in [("POST", "/v1/bookings"), ("GET", "/v1/bookings"), ("GET", "/v1/helper/offers"),
                         ("POST", "/v1/bookings/b_abcdefgh/accept"), ("GET", "/v1/me")]:
        status, body, headers = api.call(method, path, {})
        assert_problem(status, body, 401)


def test_forged_token_is_refused(api):
    from chalicelib.domain import tokens
    forged = tokens.issue("guessed-secret", role="ops", subject="s_x", tenant="*", ttl_seconds=60)
    status, body, _ = api.call("GET", "/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(status, body, 401)


def test_roles_are_enforced(api, signin):
    customer = signin()
    assert_problem(*api.call("GET", "/v1/helper/offers", headers=customer)[:2], 403)
    assert_problem(*api.call("POST", "/v1/bookings/b_abcdefgh/accept", headers=customer)[:2], 403)


def test_someone_elses_booking_is_not_found(api, signin):
    alice, bob = signin(), signin()
    bid = api.call("POST", "/v1/bookings", booking_body(), alice)[1]["booking_id"]
    assert_problem(*api.call("GET", f"/v1/bookings/{bid}", headers=bob)[:2], 404)
    assert_problem(*api.call("POST", f"/v1/bookings/{bid}/cancel", {}, bob)[:2], 404)
    stranger = signin("helper3@crowdfix.local", "helper")
    status, body, _ = api.call("GET", f"/v1/bookings/{bid}", headers=stranger)
    assert status in (404,) or (status == 200 and "address" not in body["location"])


def test_bad_ids_and_queries(api, signin):
    customer = signin()
    assert_problem(*api.call("GET", "/v1/bookings/not-an-id", headers=customer)[:2], 422, "booking_id")
    assert_problem(*api.call("GET", "/v1/bookings?limit=abc", headers=customer)[:2], 422, "limit")
    assert_problem(*api.call("GET", "/v1/bookings?limit=1000", headers=customer)[:2], 422, "limit")
    assert_problem(*api.call("GET", "/v1/bookings?cursor=%%%", headers=customer)[:2], 422, "cursor")


def test_idempotency_key_returns_the_first_booking(api, signin):
    customer = signin()
    key = {"Idempotency-Key": "retry-abc-1", **customer}
    s1, first, _ = api.call("POST", "/v1/bookings", booking_body(), key)
    s2, again, headers = api.call("POST", "/v1/bookings", booking_body(), key)
    assert (s1, s2) == (201, 200) and first["booking_id"] == again["booking_id"]
    assert headers.get("Idempotent-Replayed") == "true"
    s3, body, _ = api.call("POST", "/v1/bookings", booking_body(description="something else entirely"), key)
    assert_problem(s3, body, 422, "Idempotency-Key")
    items = api.call("GET", "/v1/bookings", headers=customer)[1]["items"]
    assert [b["booking_id"] for b in items] == [first["booking_id"]]


def test_sign_in_codes(api, signin, stack):
    email = "code-test@example.org"
    assert api.call("POST", "/v1/auth/code", {"email": email, "role": "customer"})[0] == 202
    status, body, _ = api.call("POST", "/v1/auth/token", {"email": email, "role": "customer", "code": "000000"})
    assert status == 401 or status == 200  # 1 in a million it is right
    from tests.stack_fixtures import latest_code
    code = latest_code(stack["services"], email)
    assert api.call("POST", "/v1/auth/token", {"email": email, "role": "customer", "code": code})[0] == 200
    # a code works once
    assert_problem(*api.call("POST", "/v1/auth/token", {"email": email, "role": "customer", "code": code})[:2], 401)
    # unknown helpers get the same answer but no code
    assert api.call("POST", "/v1/auth/code", {"email": "nobody@example.org", "role": "helper"})[0] == 202
    assert_problem(*api.call("POST", "/v1/auth/token",
                             {"email": "nobody@example.org", "role": "helper", "code": "123456"})[:2], 401)
    assert_problem(*api.call("POST", "/v1/auth/code", {"email": "x", "role": "customer"})[:2], 422, "email")


def test_wrong_codes_lock_after_five_tries(api, stack):
    email = "brute@example.org"
    api.call("POST", "/v1/auth/code", {"email": email})
    from tests.stack_fixtures import latest_code
    code = latest_code(stack["services"], email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert api.call("POST", "/v1/auth/token", {"email": email, "code": wrong})[0] == 401
    status, body, _ = api.call("POST", "/v1/auth/token", {"email": email, "code": code})
    assert_problem(status, body, 429)
