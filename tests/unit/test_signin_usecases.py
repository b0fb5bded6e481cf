"""Sign-in as use cases against the in-memory store (the same repositories run on DynamoDB Local in
tests/integration/test_store_dynamo.py; the HTTP paths in tests/security/test_signin.py)."""
import os
import re

import pytest

from chalicelib.domain.errors import RateLimited, TooManyAttempts, Unauthenticated
from chalicelib.services import auth
from chalicelib.store import memory_repos, using
from chalicelib.store.records import StaffRecord

T0 = 2_000_000_000.0


@pytest.fixture()
def mail(monkeypatch):
    """The e-mails sign-in sent, instead of SES; a signing key if the session has none yet."""
    if not os.environ.get("CROWDFIX_TOKEN_SECRET"):
        monkeypatch.setenv("CROWDFIX_TOKEN_SECRET", "unit-test-signing-key-of-enough-length")
    sent = []
    monkeypatch.setattr(auth, "send_email", lambda to, subject, text: sent.append((to, subject, text)))
    with using(memory_repos()) as r:
        yield r, sent


def code_in(sent) -> str:
    return re.search(r"\b(\d{6})\b", sent[-1][2]).group(1)


def test_a_new_customer_signs_in_with_the_mailed_code_and_is_created_once(mail):
    store, sent = mail

    auth.request_code("crowdfix", "customer", "erika@example.org", "de", client_ip="198.51.100.7", now=T0)
    first = auth.exchange_code("crowdfix", "customer", "erika@example.org", code_in(sent), now=T0 + 5)
    auth.request_code("crowdfix", "customer", "erika@example.org", "de", client_ip="198.51.100.7", now=T0 + 60)
    second = auth.exchange_code("crowdfix", "customer", "erika@example.org", code_in(sent), now=T0 + 65)

    assert sent[0][1].startswith("Ihr Anmeldecode")
    assert first["id"] == second["id"] and list(store.world.customers) == [first["id"]]
    from chalicelib.http.auth import actor_from_token
    assert actor_from_token(first["token"]).role == "customer"


def test_a_used_code_does_not_work_twice_and_the_client_is_refunded(mail):
    store, sent = mail
    auth.request_code("crowdfix", "customer", "erika@example.org", client_ip="198.51.100.7", now=T0)
    code = code_in(sent)
    auth.exchange_code("crowdfix", "customer", "erika@example.org", code, now=T0 + 5)

    with pytest.raises(Unauthenticated):
        auth.exchange_code("crowdfix", "customer", "erika@example.org", code, now=T0 + 6)
    assert store.signin.outstanding(f"ip#198.51.100.7#{int(T0) // auth.IP_WINDOW}") == 0


def test_five_wrong_codes_lock_the_address_and_a_new_code_does_not_reset_the_tries(mail):
    store, sent = mail
    auth.request_code("crowdfix", "customer", "erika@example.org", now=T0)
    right = code_in(sent)
    wrong = "000000" if right != "000000" else "111111"
    for n in range(auth.MAX_ATTEMPTS):
        with pytest.raises(Unauthenticated):
            auth.exchange_code("crowdfix", "customer", "erika@example.org", wrong, now=T0 + n)

    with pytest.raises(TooManyAttempts) as locked:
        auth.exchange_code("crowdfix", "customer", "erika@example.org", right, now=T0 + 10)
    with pytest.raises(TooManyAttempts):
        auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + 60)
    assert "minutes" in str(locked.value)


def test_codes_are_limited_per_window_and_spaced(mail):
    store, sent = mail
    auth.request_code("crowdfix", "customer", "erika@example.org", now=T0)
    with pytest.raises(RateLimited):
        auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + 5)
    auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + 40)
    auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + 80)
    with pytest.raises(RateLimited):
        auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + 120)
    assert len(sent) == 3
    auth.request_code("crowdfix", "customer", "erika@example.org", now=T0 + auth.WINDOW + 1)  # a new window
    assert len(sent) == 4


def test_an_unknown_helper_address_gets_the_same_answer_and_a_note_not_a_code(mail):
    store, sent = mail

    auth.request_code("crowdfix", "helper", "stranger@example.org", "fr", now=T0)

    assert sent[-1][1] == auth.NO_ACCOUNT_SUBJECTS["fr"] and not re.search(r"\b\d{6}\b", sent[-1][2])
    with pytest.raises(Unauthenticated):
        auth.exchange_code("crowdfix", "helper", "stranger@example.org", "123456", now=T0 + 5)


def test_platform_staff_sign_in_for_every_tenant(mail):
    store, sent = mail
    store.world.staff["olga@example.org"] = StaffRecord(email="olga@example.org", staff_id="s_olga", name="Olga")

    auth.request_code("crowdfix", "ops", "olga@example.org", now=T0)
    token = auth.exchange_code("crowdfix", "ops", "olga@example.org", code_in(sent), now=T0 + 5)

    from chalicelib.http.auth import actor_from_token
    actor = actor_from_token(token["token"])
    assert (actor.role, actor.id, actor.tenant_id) == ("ops", "s_olga", "*")
