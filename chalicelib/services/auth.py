"""Password-less sign-in: an e-mailed one-time code exchanged for a signed, expiring token.

- Codes are 6 digits, valid 10 minutes, stored only as a keyed hash. One active code per address;
  5 tries per address in a 15-minute window that asking again does not reset; at most 3 codes per
  window, 30 s apart; at most 60 unused codes per client address and hour.
- Every try takes one of the 5 with a conditional update first, so concurrent guesses cannot get
  more; every update of a code record says the record must exist (no half items re-created).
- Customers are created on first sign-in (sign-in is asked only when it is needed).
- Helpers, ops and partner admins can only sign in if they are already known; an unknown address
  gets the same answer, the same records and one e-mail (saying there is no such account), so
  neither the answer nor the work done reveals who is registered.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from chalicelib.adapters.email import send_email
from chalicelib.domain import tokens
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import RateLimited, TooManyAttempts, Unauthenticated
from chalicelib.domain.ids import now_iso
from chalicelib.credentials import get_secret
from chalicelib.settings import get_settings
from chalicelib.store.people import people as people_store
from chalicelib.store.signin import signin as signin_store
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import CustomerRecord, SignInCodeRecord

CODE_TTL = 600            # a code is valid 10 minutes
MAX_ATTEMPTS = 5          # tries per address and window, right or wrong; asking again does not reset them
WINDOW = 900              # the counts of an address start over 15 minutes after its first code
MAX_SENDS = 3             # codes e-mailed to one address per window
COOLDOWN = 30             # seconds between two codes to one address
IP_WINDOW = 3600          # per client address: codes asked and not used, per hour
IP_MAX_OUTSTANDING = 60

SUBJECTS = {
    "de": "Ihr Anmeldecode für crowdfix: {code}",
    "en": "Your crowdfix sign-in code: {code}",
    "fr": "Votre code de connexion crowdfix : {code}",
    "it": "Il suo codice di accesso crowdfix: {code}",
}
BODIES = {
    "de": "Guten Tag\n\nIhr Code lautet: {code}\n\nGeben Sie ihn auf der Seite ein, auf der Sie ihn angefordert haben. "
          "Er gilt 10 Minuten.\nWenn Sie keinen Code angefordert haben, können Sie diese E-Mail löschen.\n\nIhr crowdfix-Team",
    "en": "Hello\n\nYour code is: {code}\n\nType it on the page where you asked for it. It is valid for 10 minutes.\n"
          "If you did not ask for a code, you can delete this e-mail.\n\nThe crowdfix team",
    "fr": "Bonjour\n\nVotre code est : {code}\n\nSaisissez-le sur la page où vous l'avez demandé. Il est valable 10 minutes.\n"
          "Si vous n'avez pas demandé de code, vous pouvez supprimer cet e-mail.\n\nL'équipe crowdfix",
    "it": "Buongiorno\n\nIl suo codice è: {code}\n\nLo inserisca nella pagina dove l'ha richiesto. Vale 10 minuti.\n"
          "Se non ha richiesto un codice, può cancellare questa e-mail.\n\nIl team crowdfix",
}


def _key(tenant: str, role: str, email: str) -> str:
    return f"{tenant}#{role}#{email}"


def _hash(key: str, code: str) -> str:
    return hmac.new(get_secret("TOKEN_SECRET").encode(), f"{key}:{code}".encode(), hashlib.sha256).hexdigest()


def _known(tenant: str, role: str, email: str) -> bool:
    if role == "customer":
        return True
    if role == "helper":
        return people_store().helper_id_by_email(tenant, email) is not None
    if role in ("ops", "partner_admin"):
        staff = people_store().staff(email)
        if staff is None:
            return False
        if role == "partner_admin":  # a partner's admin: staff of exactly one partner tenant
            return staff.role == "partner_admin" and staff.tenant_id != "*"
        return staff.role == "ops" and staff.tenant_id in ("*", tenant)
    return False


# Sent instead of a code when the address has no account for the role: the same work (one record,
# one e-mail) and the same answer as for a known address, so neither reveals who is registered.
NO_ACCOUNT_SUBJECTS = {
    "de": "Anmeldung bei crowdfix", "en": "Signing in to crowdfix",
    "fr": "Connexion à crowdfix", "it": "Accesso a crowdfix",
}
NO_ACCOUNT_BODIES = {
    "de": "Guten Tag\n\nJemand wollte sich mit dieser E-Mail-Adresse bei crowdfix anmelden, aber für diese Adresse gibt "
          "es dort kein solches Konto.\nWaren Sie das nicht, können Sie diese E-Mail löschen.\n\nIhr crowdfix-Team",
    "en": "Hello\n\nSomeone asked to sign in to crowdfix with this e-mail address, but there is no such account for "
          "it.\nIf this was not you, you can delete this e-mail.\n\nThe crowdfix team",
    "fr": "Bonjour\n\nQuelqu'un a voulu se connecter à crowdfix avec cette adresse e-mail, mais aucun compte de ce type "
          "n'existe pour elle.\nSi ce n'était pas vous, vous pouvez supprimer cet e-mail.\n\nL'équipe crowdfix",
    "it": "Buongiorno\n\nQualcuno ha chiesto di accedere a crowdfix con questo indirizzo e-mail, ma non esiste un tale "
          "account.\nSe non è stato lei, può cancellare questa e-mail.\n\nIl team crowdfix",
}


def _minutes(seconds: float) -> str:
    m = max(1, int(seconds + 59) // 60)
    return "1 minute" if m == 1 else f"{m} minutes"


def _charge_client(client_ip: str | None, now: float) -> str:
    """One more unused code from this client address in this hour, or ``RateLimited``. The count
    goes down again when a code is used (:func:`_refund_client`), so people who sign in are never
    held up; someone asking codes for many addresses without using them is."""
    window = int(now) // IP_WINDOW
    ip_key = f"ip#{client_ip or 'unknown'}#{window}"
    if not signin_store().charge_client(ip_key, limit=IP_MAX_OUTSTANDING, ttl=timedelta(seconds=2 * IP_WINDOW)):
        wait = (window + 1) * IP_WINDOW - now
        raise RateLimited(f"too many sign-in codes were asked from your network; try again in {_minutes(wait)}",
                          retry_after=int(wait) + 1)
    return ip_key


def _refund_client(ip_key: str | None) -> None:
    if ip_key:  # nothing if the hour has passed (counter gone) or nothing is outstanding
        signin_store().refund_client(ip_key)


def request_code(tenant: str, role: str, email: str, language: str = "de", client_ip: str | None = None,
                 now: float | None = None) -> None:
    """E-mail a code if this person may sign in with this role, or a note that there is no such
    account: the same answer, records and number of calls either way.

    Limits, the same for every address: one active code per address (asking again replaces it but
    keeps the tries used), at most ``MAX_SENDS`` codes per ``WINDOW`` and ``COOLDOWN`` seconds
    between two; no new code once ``MAX_ATTEMPTS`` tries are used until the window ends; at most
    ``IP_MAX_OUTSTANDING`` unused codes per client address and hour."""
    now = time.time() if now is None else now
    known = _known(tenant, role, email)
    key = _key(tenant, role, email)
    # an unknown address gets a record too, with a hash no 6-digit code can match
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = _hash(key, code if known else "no-account:" + secrets.token_hex(8))
    current = signin_store().code(key)
    window_open = current is not None and current.window_ends is not None and float(current.window_ends) > now
    if window_open:
        ends = float(current.window_ends)
        if int(current.attempts or 0) >= MAX_ATTEMPTS:
            raise TooManyAttempts(f"too many tries for this address; ask for a new code in {_minutes(ends - now)}",
                                  retry_after=int(ends - now) + 1)
        if int(current.sends or 0) >= MAX_SENDS:
            raise RateLimited(f"{MAX_SENDS} codes were sent to this address already; use the newest one or "
                              f"ask again in {_minutes(ends - now)}", retry_after=int(ends - now) + 1)
        since = now - float(current.last_sent_at or 0)
        if since < COOLDOWN:
            raise RateLimited(f"a code was just sent; wait {int(COOLDOWN - since) + 1} seconds before asking again",
                              retry_after=int(COOLDOWN - since) + 1)
    ip_key = _charge_client(client_ip, now)
    try:
        if window_open:
            # same window: a new code, the tries used so far stay (conditional on what we read)
            signin_store().resend(current, code_hash=code_hash, expires_at=int(now) + CODE_TTL, at=now, ip_key=ip_key,
                                  ttl=timedelta(seconds=max(ends - now, CODE_TTL) + 3600))
        else:
            # replace only what we read (nothing, or a record whose window is over)
            signin_store().start_window(
                SignInCodeRecord(key=key, code_hash=code_hash, expires_at=int(now) + CODE_TTL, attempts=0, sends=1,
                                 last_sent_at=now, window_ends=now + WINDOW, ip_key=ip_key),
                replacing=current, ttl=timedelta(seconds=max(WINDOW, CODE_TTL) + 3600))
    except ConditionFailed:
        _refund_client(ip_key)
        raise RateLimited(f"a code was just sent; wait {COOLDOWN} seconds before asking again",
                          retry_after=COOLDOWN) from None
    lang = language if language in SUBJECTS else "de"
    if known:
        subject, text = SUBJECTS[lang].format(code=code), BODIES[lang].format(code=code)
    else:
        subject, text = NO_ACCOUNT_SUBJECTS[lang], NO_ACCOUNT_BODIES[lang]
    from botocore.exceptions import ClientError
    try:
        send_email(email, subject, text)
    except ClientError as exc:  # e.g. an address SES cannot parse ("Missing domain"): the caller's input
        if exc.response.get("Error", {}).get("Code") not in ("InvalidParameterValue", "MessageRejected"):
            raise
        from chalicelib.domain.errors import ValidationFailed
        raise ValidationFailed("this e-mail address cannot receive e-mail; check it", field="email") from None


def exchange_code(tenant: str, role: str, email: str, code: str, now: float | None = None) -> dict:
    """Trade a valid code for a token. The code works once; every try (right or wrong) first takes
    one of the window's ``MAX_ATTEMPTS`` with a conditional update, so concurrent guesses can never
    get more tries than that, and no update re-creates a record that is gone."""
    now = time.time() if now is None else now
    key = _key(tenant, role, email)
    try:
        record = signin_store().take_try(key, max_attempts=MAX_ATTEMPTS, now=now)
    except ConditionFailed:
        current = signin_store().code(key)
        if current is None:
            raise Unauthenticated("this code is not valid; ask for a new code") from None
        if int(current.attempts or 0) >= MAX_ATTEMPTS:
            ends = float(current.window_ends) if current.window_ends is not None else now + WINDOW
            raise TooManyAttempts(f"too many wrong codes; ask for a new code in {_minutes(ends - now)}",
                                  retry_after=max(1, int(ends - now) + 1)) from None
        if current.expires_at is not None and float(current.expires_at) < now:
            raise Unauthenticated("this code has expired; ask for a new code") from None
        raise Unauthenticated("this code is not valid; ask for a new code") from None
    if not hmac.compare_digest(record.code_hash or "", _hash(key, code)):
        left = MAX_ATTEMPTS - int(record.attempts)
        raise Unauthenticated("this code is not right; check the e-mail and try again"
                              + (f" ({left} {'try' if left == 1 else 'tries'} left)" if left else ""), field="code")
    try:
        signin_store().use(record)
    except ConditionFailed:
        raise Unauthenticated("this code was already used; ask for a new code") from None
    _refund_client(record.ip_key)
    subject = _subject_for(tenant, role, email)
    settings = get_settings()
    if role == "partner_admin":
        tenant = _staff_tenant(email)
    token = tokens.issue(get_secret("TOKEN_SECRET"), role=role, subject=subject,
                         tenant="*" if role == "ops" and _staff_tenant(email) == "*" else tenant,
                         ttl_seconds=settings.token_ttl_seconds)
    return {"token": token, "role": role, "id": subject, "expires_in": settings.token_ttl_seconds}


def _staff(email: str):
    staff = people_store().staff(email)
    if staff is None:  # known a moment ago: removed while signing in
        raise Unauthenticated("this account is not there any more")
    return staff


def _staff_tenant(email: str) -> str:
    return _staff(email).tenant_id


def _subject_for(tenant: str, role: str, email: str) -> str:
    if role == "customer":
        return ensure_customer(tenant, email).customer_id
    if role == "helper":
        helper_id = people_store().helper_id_by_email(tenant, email)
        if helper_id is None:
            raise Unauthenticated("this account is not there any more")
        return helper_id
    return _staff(email).staff_id


def ensure_customer(tenant: str, email: str, name: str | None = None, language: str = "de") -> CustomerRecord:
    """The customer with this e-mail in this tenant, created on first use. The id is derived from
    tenant and e-mail, so two first sign-ins at once still make one customer."""
    customer_id = "c_" + hashlib.sha256(f"{tenant}#{email}".encode()).hexdigest()[:24]
    existing = people_store().customer(customer_id)
    if existing is not None:
        return existing
    customer = CustomerRecord(customer_id=customer_id, tenant_id=tenant, email=email, name=name, language=language,
                              created_at=now_iso())
    try:
        people_store().add_customer(customer)
    except AlreadyExists:
        return people_store().customer(customer_id)
    return customer


# ---------------------------------------------------------------------------------------------
# mobile numbers for SMS: verified with a code sent to them (only verified numbers get SMS)

PHONE_CODE_TTL = 600
PHONE_MAX_ATTEMPTS = 5
PHONE_WINDOW = 3600       # codes and tries per person start over an hour after the first code
PHONE_MAX_SENDS = 3
PHONE_COOLDOWN = 60
PHONE_TEXTS = {
    "de": "crowdfix: Ihr Code zur Bestätigung dieser Nummer lautet {code}. Er gilt 10 Minuten.",
    "en": "crowdfix: your code to confirm this number is {code}. It is valid for 10 minutes.",
    "fr": "crowdfix : votre code pour confirmer ce numéro est {code}. Il est valable 10 minutes.",
    "it": "crowdfix: il suo codice per confermare questo numero è {code}. Vale 10 minuti.",
}


def _phone_key(role: str, rid: str) -> str:
    return f"phone#{role}#{rid}"


def verified_phone(role: str, rid: str) -> str | None:
    """The number this person verified with a code, or None: the only number SMS may go to."""
    rec = signin_store().phone(_phone_key(role, rid))
    return rec.verified_phone if rec is not None else None


def start_phone_verification(actor: Actor, phone: str, language: str = "de", now: float | None = None) -> dict:
    """Text a 6-digit code to ``phone`` (E.164) unless it is the number already verified. Limits:
    ``PHONE_MAX_SENDS`` codes per ``PHONE_WINDOW``, ``PHONE_COOLDOWN`` s apart, tries kept across codes."""
    from chalicelib.adapters.sms import send_sms

    now = time.time() if now is None else now
    key = _phone_key(actor.role, actor.id)
    rec = signin_store().phone(key)
    if rec is not None and rec.verified_phone == phone:
        return {"phone": phone, "verified": True}
    window_open = rec is not None and rec.window_ends is not None and float(rec.window_ends) > now
    if window_open:
        ends = float(rec.window_ends)
        if int(rec.attempts or 0) >= PHONE_MAX_ATTEMPTS:
            raise TooManyAttempts(f"too many wrong codes; ask for a new code in {_minutes(ends - now)}",
                                  retry_after=int(ends - now) + 1)
        if int(rec.sends or 0) >= PHONE_MAX_SENDS:
            raise RateLimited(f"{PHONE_MAX_SENDS} codes were sent already; ask again in {_minutes(ends - now)}",
                              retry_after=int(ends - now) + 1)
        since = now - float(rec.last_sent_at or 0)
        if since < PHONE_COOLDOWN:
            raise RateLimited(f"a code was just sent; wait {int(PHONE_COOLDOWN - since) + 1} seconds",
                              retry_after=int(PHONE_COOLDOWN - since) + 1)
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = _hash(f"{key}#{phone}", code)
    try:
        signin_store().phone_code_sent(key, current=rec, phone=phone, code_hash=code_hash,
                                       expires_at=int(now) + PHONE_CODE_TTL, at=now, window=PHONE_WINDOW,
                                       ttl=timedelta(seconds=PHONE_WINDOW + 3600))
    except ConditionFailed:
        raise RateLimited(f"a code was just sent; wait {PHONE_COOLDOWN} seconds", retry_after=PHONE_COOLDOWN) from None
    send_sms(phone, PHONE_TEXTS.get(language, PHONE_TEXTS["de"]).format(code=code))
    return {"phone": phone, "verified": False, "expires_in": PHONE_CODE_TTL}


def confirm_phone(actor: Actor, code: str, now: float | None = None) -> dict:
    """Check the code texted to the pending number; on success that number becomes the verified one.
    Every try first takes one of ``PHONE_MAX_ATTEMPTS`` with a conditional update (no races)."""
    now = time.time() if now is None else now
    key = _phone_key(actor.role, actor.id)
    try:
        rec = signin_store().phone_try(key, max_attempts=PHONE_MAX_ATTEMPTS, now=now)
    except ConditionFailed:
        current = signin_store().phone(key)
        if current is not None and int(current.attempts or 0) >= PHONE_MAX_ATTEMPTS and current.code_hash:
            raise TooManyAttempts("too many wrong codes; ask for a new code later") from None
        raise Unauthenticated("there is no valid code for a number; ask for a new code", field="code") from None
    if not hmac.compare_digest(rec.code_hash or "", _hash(f"{key}#{rec.pending_phone}", code)):
        raise Unauthenticated("this code is not right; check the text message and try again", field="code")
    try:
        done = signin_store().phone_verified(rec, at=now)
    except ConditionFailed:
        raise Unauthenticated("this code was already used; ask for a new code", field="code") from None
    return {"phone": done.verified_phone, "verified": True}
