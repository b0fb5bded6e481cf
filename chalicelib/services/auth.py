"""Password-less sign-in: an e-mailed one-time code exchanged for a signed, expiring token.

- Codes are 6 digits, valid 10 minutes, stored only as a keyed hash, 5 tries each.
- Customers are created on first sign-in (sign-in is asked only when it is needed).
- Helpers and ops can only sign in if they are already known; the answer to "send me a code" is the
  same either way, so the endpoint does not reveal who is registered.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.adapters.email import send_email
from chalicelib.domain import tokens
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import TooManyAttempts, Unauthenticated
from chalicelib.models.base import now_iso
from chalicelib.models.customers import Customer
from chalicelib.models.helpers import Helper
from chalicelib.models.signin import SignInCode
from chalicelib.models.staff import Staff
from chalicelib.settings import get_secret, get_settings

CODE_TTL = 600
MAX_ATTEMPTS = 5

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
        return any(True for _ in Helper.by_email.query(f"{tenant}#{email}", limit=1))
    if role in ("ops", "partner_admin"):
        try:
            staff = Staff.get(email)
        except Staff.DoesNotExist:
            return False
        if role == "partner_admin":  # a partner's admin: staff of exactly one partner tenant
            return staff.role == "partner_admin" and staff.tenant_id != "*"
        return staff.role == "ops" and staff.tenant_id in ("*", tenant)
    return False


def request_code(tenant: str, role: str, email: str, language: str = "de") -> None:
    """E-mail a fresh code if this person may sign in with this role; silently do nothing otherwise."""
    if not _known(tenant, role, email):
        return
    code = f"{secrets.randbelow(10**6):06d}"
    key = _key(tenant, role, email)
    now = int(time.time())
    SignInCode(key=key, code_hash=_hash(key, code), expires_at=now + CODE_TTL, attempts=0,
               ttl=timedelta(seconds=CODE_TTL + 3600)).save()
    lang = language if language in SUBJECTS else "de"
    from botocore.exceptions import ClientError
    try:
        send_email(email, SUBJECTS[lang].format(code=code), BODIES[lang].format(code=code))
    except ClientError as exc:  # e.g. an address SES cannot parse ("Missing domain"): the caller's input
        if exc.response.get("Error", {}).get("Code") not in ("InvalidParameterValue", "MessageRejected"):
            raise
        from chalicelib.domain.errors import ValidationFailed
        raise ValidationFailed("this e-mail address cannot receive e-mail; check it", field="email") from None


def exchange_code(tenant: str, role: str, email: str, code: str) -> dict:
    """Trade a valid code for a token. The code works once."""
    key = _key(tenant, role, email)
    try:
        record = SignInCode.get(key, consistent_read=True)
    except SignInCode.DoesNotExist:
        raise Unauthenticated("this code is not valid; ask for a new code") from None
    if record.expires_at < time.time():
        raise Unauthenticated("this code has expired; ask for a new code")
    if record.attempts >= MAX_ATTEMPTS:
        raise TooManyAttempts("too many wrong codes; ask for a new code")
    if not hmac.compare_digest(record.code_hash, _hash(key, code)):
        record.update(actions=[SignInCode.attempts.add(1)])
        raise Unauthenticated("this code is not right; check the e-mail and try again", field="code")
    try:
        record.delete(condition=SignInCode.code_hash == record.code_hash)
    except DeleteError:
        raise Unauthenticated("this code was already used; ask for a new code") from None
    subject = _subject_for(tenant, role, email)
    settings = get_settings()
    if role == "partner_admin":
        tenant = _staff_tenant(email)
    token = tokens.issue(get_secret("TOKEN_SECRET"), role=role, subject=subject,
                         tenant="*" if role == "ops" and _staff_tenant(email) == "*" else tenant,
                         ttl_seconds=settings.token_ttl_seconds)
    return {"token": token, "role": role, "id": subject, "expires_in": settings.token_ttl_seconds}


def _staff_tenant(email: str) -> str:
    return Staff.get(email).tenant_id


def _subject_for(tenant: str, role: str, email: str) -> str:
    if role == "customer":
        return ensure_customer(tenant, email).customer_id
    if role == "helper":
        return next(iter(Helper.by_email.query(f"{tenant}#{email}", limit=1))).helper_id
    return Staff.get(email).staff_id


def ensure_customer(tenant: str, email: str, name: str | None = None, language: str = "de") -> Customer:
    """The customer with this e-mail in this tenant, created on first use. The id is derived from
    tenant and e-mail, so two first sign-ins at once still make one customer."""
    customer_id = "c_" + hashlib.sha256(f"{tenant}#{email}".encode()).hexdigest()[:24]
    try:
        return Customer.get(customer_id, consistent_read=True)
    except Customer.DoesNotExist:
        pass
    customer = Customer(customer_id=customer_id, tenant_id=tenant, email=email, email_key=f"{tenant}#{email}",
                        name=name, language=language, created_at=now_iso())
    try:
        customer.save(condition=Customer.customer_id.does_not_exist())
    except PutError:
        return Customer.get(customer_id, consistent_read=True)
    return customer


def actor_from_token(token: str) -> Actor:
    claims = tokens.verify(get_secret("TOKEN_SECRET"), token)
    return Actor(role=claims["role"], id=claims["sub"], tenant_id=claims["ten"])
