"""Erasing a person's data (a customer's or a helper's right to erasure), keeping the money records.

The person's id (``c_…``/``h_…``) is random and says nothing about them, so it stays: bookings, the
payment record and the ledger keep referring to it, and every ledger movement stays as booked
(balanced, auditable). What goes is everything that identifies them:

- their own row: e-mail (a pseudonymous ``erased+<id>@erased.invalid``, so the address can sign up
  afresh as a new person), name, phone, postal address, photo, bio, saved card reference; a helper
  is also suspended and leaves matching (home coordinates zeroed);
- their bookings: a customer's description, address and contact; the free text of the history
  (notes, reasons) a customer's booking carries or a helper wrote; the offers' booking summary;
- reviews and ratings: a customer's name and comments; text about a helper loses the helper's name;
- the notification log (masked addresses), push subscriptions, notification preferences, the
  sign-in code and phone verification records;
- copies in other records — partner webhook payloads, the failure store, stored ``Idempotency-Key``
  answers, refund and extra-approval reasons, quality cases: rows that mention the person or one
  of their bookings have each personal value replaced by ``[erased]`` (inside JSON strings, so the
  document stays valid).

Bookings that are still open block the erasure (409): finish or cancel them first. Idempotent and
resumable: each write sets the erased value only where it differs, so a second run changes nothing,
and a run that stopped half-way is completed by the next (copies first, the person's own row last,
so the values to look for are still known). Not covered, and listed in docs/operations.md: the
Stripe Customer / Connect account (Stripe's dashboard), CloudWatch logs (30 days), backups (PITR,
35 days).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable

from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.store.erasure import erasure
from chalicelib.store.records import PersonRecord

log = logging.getLogger(__name__)

ERASED = "[erased]"
SUBJECT_TYPES = ("customer", "helper")
# history entry keys that hold text someone typed
FREE_TEXT_KEYS = ("note", "reason", "message", "comment", "description")
MIN_VALUE_LENGTH = 3  # shorter strings are not searched for in other records (they would hit anything)


@dataclass
class Subject:
    kind: str
    id: str
    tenant_id: str
    email: str | None
    values: set[str] = field(default_factory=set)  # personal strings to find in copies
    booking_ids: list[str] = field(default_factory=list)

    @property
    def owner(self) -> str:
        return f"{self.kind}#{self.id}"

    @property
    def pseudonymous_email(self) -> str:
        return f"erased+{self.id}@erased.invalid"

    def mentions(self, text: str | None) -> bool:
        """Whether a record's text is about this person (their id, a booking, or a value)."""
        if not text:
            return False
        return (self.id in text or any(b in text for b in self.booking_ids)
                or any(v in text or _json_escaped(v) in text for v in self.values))


def _json_escaped(value: str) -> str:
    return json.dumps(value)[1:-1]


def scrub_text(text: str | None, values: Iterable[str]) -> str | None:
    """``text`` with every one of ``values`` (longest first) replaced by ``[erased]``."""
    if not text:
        return text
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, ERASED)
    return text


def scrub_json(text: str | None, values: Iterable[str]) -> str | None:
    """A JSON document with the values replaced inside its strings (keys and numbers untouched);
    plain text if it is not JSON. Unchanged documents come back as the same string."""
    if not text:
        return text
    values = list(values)
    try:
        doc = json.loads(text)
    except ValueError:
        return scrub_text(text, values)

    def walk(node):
        if isinstance(node, str):
            return scrub_text(node, values)
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    cleaned = walk(doc)
    if cleaned == doc:
        return text
    spaced = ", " in text or ": " in text
    return json.dumps(cleaned, separators=None if spaced else (",", ":"), ensure_ascii=text.isascii())


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _strings(v)


def _distinctive(values: Iterable[Any]) -> set[str]:
    out = set()
    for v in values:
        if isinstance(v, str):
            v = v.strip()
            if len(v) >= MIN_VALUE_LENGTH and v != ERASED and not v.replace(" ", "").isdigit():
                out.add(v)
    return out


def _as_dict(m) -> dict:
    if m is None:
        return {}
    return m.as_dict() if hasattr(m, "as_dict") else dict(m)


def _require_ops(actor: Actor | None) -> None:
    if actor is not None and actor.role != "ops":
        raise Forbidden("only operations can erase a person's data")


# ---------------------------------------------------------------------------------------------

def erase(actor: Actor | None, subject_type: str, subject_id: str) -> dict:
    """Erase the personal data of one customer or helper (see the module docstring). ``actor``:
    the ops caller (None: the operator's command line). Returns what changed, per table."""
    _require_ops(actor)
    if subject_type not in SUBJECT_TYPES:
        raise ValidationFailed(f"subject_type must be one of {', '.join(SUBJECT_TYPES)}", field="subject_type")
    row = _load_subject(subject_type, subject_id)
    if actor is not None and not actor.may_see_tenant(row.tenant_id):
        raise NotFound(f"{subject_type} {subject_id} was not found", field="subject_id")
    store = erasure()
    bookings = store.bookings_of(subject_type, subject_id)
    still_open = sorted(b.booking_id for b in bookings if b.state in _open_states())
    if still_open:
        raise Conflict(f"{len(still_open)} booking(s) of this {subject_type} are still open: finish or cancel "
                       "them first, then erase", extra={"open_bookings": still_open[:20]})
    subject = _subject(subject_type, row, bookings)
    changed: dict[str, int] = {}

    def count(table: str, n: int) -> None:
        if n:
            changed[table] = changed.get(table, 0) + n

    # copies first, the person's own row last: a run that stops half-way still knows what to look for
    count("webhook-deliveries", store.rewrite_webhook_payloads(subject.tenant_id, _json_rewrite(subject)))
    count("failures", store.rewrite_failures(lambda f: _failure_changes(subject, f)))
    count("idempotency", store.rewrite_idempotency_results(_json_rewrite(subject)))
    count("quality-cases", store.rewrite_quality_cases(subject.tenant_id, lambda c: _case_changes(subject, c)))
    count("notifications", store.rewrite_notification_log([*subject.booking_ids, f"recipient#{subject.kind}#{subject.id}"],
                                                          lambda r: _log_changes(subject, r)))
    count("reviews", _scrub_reviews(store, subject))
    count("customer-ratings", store.rewrite_customer_ratings(subject.booking_ids, lambda r: _rating_changes(subject, r)))
    count("payments", store.rewrite_payments(subject.booking_ids, lambda p: _payment_changes(subject, p)))
    if subject.kind == "customer":  # an offer holds the customer's booking summary, nothing of the helper
        count("offers", store.clear_offer_summaries(subject.booking_ids))
    count("bookings", store.rewrite_bookings(bookings, lambda b: _booking_changes(subject, b)))
    count("push-subscriptions", store.delete_push_subscriptions(subject.owner))
    count("notification-prefs", store.delete_notification_prefs(subject.owner))
    count("signin-codes", store.delete_signin_records(f"phone#{subject.kind}#{subject.id}",
                                                      f"{subject.tenant_id}#{subject.kind}#{subject.email}"
                                                      if subject.email else None))
    count(f"{subject_type}s", store.rewrite_person(row, _person_changes(subject, row)))
    log.info("erasure of %s %s by %s: %s", subject_type, subject_id, actor.id if actor else "cli", changed or "nothing left")
    return {"subject_type": subject_type, "subject_id": subject_id, "tenant_id": subject.tenant_id,
            "bookings": len(bookings), "changed": changed, "total_changed": sum(changed.values())}


def _open_states() -> frozenset:
    from chalicelib.domain.booking_states import OPEN_STATES
    return OPEN_STATES


def _load_subject(subject_type: str, subject_id: str) -> PersonRecord:
    prefix = "c" if subject_type == "customer" else "h"
    if not isinstance(subject_id, str) or not subject_id.startswith(prefix + "_") or len(subject_id) > 64 \
            or not subject_id.replace("_", "").isalnum():
        raise ValidationFailed(f"subject_id must be a {subject_type} id ({prefix}_...)", field="subject_id")
    row = erasure().person(subject_type, subject_id)
    if row is None:
        raise NotFound(f"{subject_type} {subject_id} was not found", field="subject_id")
    return row


def _subject(kind: str, row: PersonRecord, bookings) -> Subject:
    s = Subject(kind=kind, id=row.person_id, tenant_id=row.tenant_id,
                email=row.email if row.email and not row.email.startswith("erased+") else None)
    s.booking_ids = [b.booking_id for b in bookings]
    raw = [row.email, row.name, row.phone]
    if kind == "customer":
        raw += list(_strings(_as_dict(row.address)))
        for b in bookings:
            loc = _as_dict(b.location)
            raw += [b.description, loc.get("address"), *_strings(_as_dict(b.contact))]
            raw += [e.get(k) for e in _history(b) for k in FREE_TEXT_KEYS]
    else:
        raw += [row.first_name, row.photo_url, row.bio]
        raw += [e.get(k) for b in bookings for e in _history(b) if e.get("actor_id") == s.id for k in FREE_TEXT_KEYS]
    s.values = _distinctive(raw)
    if s.email:
        s.values.add(s.email)
    return s


def _history(b) -> list[dict]:
    return [_as_dict(e) for e in (b.history or [])]


# ---- what changes in each record (the store writes it) -------------------------------------------

def _json_rewrite(s: Subject):
    """A JSON text with the person's values replaced, if it mentions them (else as it was)."""
    return lambda text: scrub_json(text, s.values) if s.mentions(text) else text


def _failure_changes(s: Subject, f) -> dict:
    if not (s.mentions(f.payload) or s.mentions(f.error)):
        return {}
    payload, error = scrub_json(f.payload, s.values), scrub_text(f.error, s.values)
    return {"payload": payload, "error": error} if (payload, error) != (f.payload, f.error) else {}


def _case_changes(s: Subject, c) -> dict:
    if s.id not in (c.helper_id, c.customer_id) and not (s.mentions(c.detail) or s.mentions(c.notes)):
        return {}
    detail, notes = scrub_text(c.detail, s.values), scrub_text(c.notes, s.values)
    if (detail, notes) == (c.detail, c.notes):
        return {}
    return {"detail": detail or None, "notes": notes or None}


def _log_changes(s: Subject, r) -> dict:
    changes = {}
    if r.recipient_id == s.id and r.address:
        changes["address"] = None
    for name in ("title", "error"):
        old = getattr(r, name)
        new = scrub_text(old, s.values)
        if new != old:
            changes[name] = new
    return changes


def _scrub_reviews(store, s: Subject) -> int:
    def changes(r) -> dict:
        if s.kind == "customer" and r.customer_id == s.id:
            return {k: None for k in ("reviewer_first_name", "comment") if getattr(r, k)}
        if r.comment and scrub_text(r.comment, s.values) != r.comment:
            return {"comment": scrub_text(r.comment, s.values)}
        return {}

    if s.kind == "customer":
        return store.rewrite_reviews(booking_ids=s.booking_ids, rewrite=changes)
    return store.rewrite_reviews(helper_id=s.id, rewrite=changes)


def _rating_changes(s: Subject, r) -> dict:
    if not r.comment:
        return {}
    new = None if s.kind == "customer" and r.customer_id == s.id else scrub_text(r.comment, s.values)
    return {"comment": new or None} if new != r.comment else {}


def _payment_changes(s: Subject, p) -> dict:
    """Free text on the money side (refund and extra-approval reasons, the receipt's helper name);
    amounts, ids and steps stay as they are."""
    changes = {}
    for name in ("refunds", "extra_approvals"):
        rows = [_as_dict(x) for x in (getattr(p, name) or [])]
        cleaned = [{k: (scrub_text(v, s.values) if k in FREE_TEXT_KEYS and isinstance(v, str) else v)
                    for k, v in row.items()} for row in rows]
        if cleaned != rows:
            changes[name] = cleaned
    receipt = _as_dict(p.receipt)
    if s.kind == "helper" and receipt.get("helper_first_name") not in (None, ERASED):
        changes["receipt"] = {**receipt, "helper_first_name": ERASED}
    return changes


def _booking_changes(s: Subject, b) -> dict:
    # state and version untouched: an erasure is not a transition (the stream sees a MODIFY whose
    # transition effects, keyed by version, already ran)
    changes: dict = {}
    history = _history(b)
    if s.kind == "customer":
        if b.description != ERASED:
            changes["description"] = ERASED
        if b.location is not None:
            changes["location"] = None
        if _as_dict(b.contact):
            changes["contact"] = {}
        cleaned = [{k: (ERASED if k in FREE_TEXT_KEYS and v else v) for k, v in e.items()} for e in history]
    else:
        cleaned = [{k: (ERASED if k in FREE_TEXT_KEYS and v and e.get("actor_id") == s.id else
                        scrub_text(v, s.values) if k in FREE_TEXT_KEYS and isinstance(v, str) else v)
                    for k, v in e.items()} for e in history]
    if cleaned != history:
        changes["history"] = cleaned
    return changes


def _person_changes(s: Subject, row: PersonRecord) -> dict:
    changes: dict = {}
    if row.email != s.pseudonymous_email:
        changes.update(email=s.pseudonymous_email, email_key=f"{s.tenant_id}#{s.pseudonymous_email}")
    if row.phone is not None:
        changes["phone"] = None
    if s.kind == "customer":
        for name in ("name", "address", "stripe_customer_id", "default_payment_method"):
            if getattr(row, name) is not None:
                changes[name] = None
    else:
        for name in ("name", "first_name"):
            if getattr(row, name) != ERASED:
                changes[name] = ERASED
        for name in ("photo_url", "bio", "city", "geo_pk", "geo_sk", "remote_pool", "remote_sk"):
            if getattr(row, name) is not None:
                changes[name] = None
        if (row.lat, row.lon) != (0, 0):
            changes.update(lat=0, lon=0)
        if row.status != "suspended":
            changes.update(status="suspended", tenant_status=f"{row.tenant_id}#suspended")
        if row.on_call or _as_dict(row.availability):
            changes.update(on_call=False, availability={})
    return changes
