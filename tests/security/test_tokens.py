"""Issue 16, item 3: only canonical token signatures are accepted, and our verification agrees
with PyJWT's (a well-kept library) on every variant of a token text."""
from __future__ import annotations

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import tokens
from chalicelib.domain.errors import Unauthenticated

SECRET = "test-secret-" + "x" * 24
NOW = 1_800_000_000

def _token_with_swappable_signature() -> str:
    """A token whose signature has both - and _ (so the +/ variant differs from it)."""
    for n in range(1000):
        t = tokens.issue(SECRET, role="customer", subject=f"c_{n}", tenant="crowdfix", ttl_seconds=600, now=NOW)
        if "-" in t.split(".")[2] and "_" in t.split(".")[2]:
            return t
    raise AssertionError("no signature with - and _ found")


TOKEN = _token_with_swappable_signature()
HEAD, BODY, SIG = TOKEN.split(".")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=."


def ours(token: str) -> bool:
    try:
        tokens.verify(SECRET, token, now=NOW)
        return True
    except Unauthenticated:
        return False


def pyjwt(token: str) -> bool:
    try:
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False, "require": ["exp"]})
        return True
    except jwt.PyJWTError:
        return False


def _same_bytes_other_last_char(sig: str) -> str:
    """The 43rd character carries 4 bits and 2 unused ones: change only the unused bits."""
    idx = ALPHABET.index(sig[-1])
    return sig[:-1] + ALPHABET[(idx & ~3) | ((idx + 1) & 3)]


def test_padding_is_refused_where_pyjwt_tolerates_one_pad_character():
    # RFC 7515 section 2: base64url *without* padding. PyJWT decodes a padded signature; we do not.
    assert pyjwt(TOKEN + "=") and not ours(TOKEN + "=")


@pytest.mark.parametrize("variant", [
    TOKEN + "==",
    f"{HEAD}.{BODY}.{SIG.replace('-', '+').replace('_', '/')}",
    f"{HEAD}.{BODY}.{_same_bytes_other_last_char(SIG)}",
    f"{HEAD}.{BODY}=.{SIG}",
    f"{HEAD}.{BODY}.{SIG} ", f" {TOKEN}", f"{HEAD}.{BODY}.", f"{HEAD}.{BODY}", TOKEN + ".",
])
def test_non_canonical_token_texts_are_refused_like_pyjwt_refuses_them(variant):
    assert ours(TOKEN) and pyjwt(TOKEN)
    assert not ours(variant)
    assert not pyjwt(variant)


@settings(max_examples=300, deadline=None)
@given(part=st.sampled_from([0, 1, 2]), pos=st.integers(min_value=0, max_value=400),
       op=st.sampled_from(["replace", "insert", "delete"]), ch=st.sampled_from(list(ALPHABET)))
def test_ours_accepts_exactly_what_pyjwt_accepts_except_padding(part, pos, op, ch):
    parts = TOKEN.split(".")
    text = parts[part]
    i = pos % (len(text) + 1)
    if op == "replace" and i < len(text):
        text = text[:i] + ch + text[i + 1:]
    elif op == "insert":
        text = text[:i] + ch + text[i:]
    elif op == "delete" and i < len(text):
        text = text[:i] + text[i + 1:]
    parts[part] = text
    variant = ".".join(parts)
    if ours(variant):
        assert pyjwt(variant), variant  # never more lenient than PyJWT
    elif pyjwt(variant):
        assert variant.rstrip("=") == TOKEN, variant  # stricter only about padding


def test_a_token_pyjwt_signs_with_our_header_verifies_with_ours_and_back():
    import base64
    import hashlib
    import hmac
    import json

    claims = {"sub": "c_2", "role": "customer", "ten": "crowdfix", "iat": NOW, "exp": NOW + 60}
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), f"{HEAD}.{body}".encode(), hashlib.sha256).digest())
    token = f"{HEAD}.{body}.{sig.rstrip(b'=').decode()}"
    assert pyjwt(token) and ours(token)
    assert jwt.decode(TOKEN, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})["sub"]
    assert not ours(tokens.issue("another secret", role="customer", subject="c_1", tenant="crowdfix",
                                 ttl_seconds=600, now=NOW))
