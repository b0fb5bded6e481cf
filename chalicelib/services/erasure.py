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
    from chalicelib.models.base import hydrate
    from chalicelib.models.bookings import Booking

    _require_ops(actor)
    if subject_type not in SUBJECT_TYPES:
        raise ValidationFailed(f"subject_type must be one of {', '.join(SUBJECT_TYPES)}", field="subject_type")
    row = _load_subject(subject_type, subject_id)
    if actor is not None and not actor.may_see_tenant(row.tenant_id):
        raise NotFound(f"{subject_type} {subject_id} was not found", field="subject_id")
    index = Booking.by_customer if subject_type == "customer" else Booking.by_helper
    bookings = hydrate(Booking, [k.booking_id for k in index.query(subject_id)])
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
    count("webhook-deliveries", _scrub_webhook_deliveries(subject))
    count("failures", _scrub_failures(subject))
    count("idempotency", _scrub_idempotency(subject))
    count("quality-cases", _scrub_quality_cases(subject))
    count("notifications", _scrub_notification_log(subject))
    count("reviews", _scrub_reviews(subject))
    count("customer-ratings", _scrub_customer_ratings(subject))
    count("payments", _scrub_payments(subject))
    count("offers", _scrub_offers(subject))
    count("bookings", sum(_scrub_booking(subject, b) for b in bookings))
    count("push-subscriptions", _delete_push_subscriptions(subject))
    count("notification-prefs", _delete_prefs(subject))
    count("signin-codes", _delete_signin_records(subject))
    count(f"{subject_type}s", _scrub_subject_row(subject, row))
    log.info("erasure of %s %s by %s: %s", subject_type, subject_id, actor.id if actor else "cli", changed or "nothing left")
    return {"subject_type": subject_type, "subject_id": subject_id, "tenant_id": subject.tenant_id,
            "bookings": len(bookings), "changed": changed, "total_changed": sum(changed.values())}


def _open_states() -> frozenset:
    from chalicelib.domain.booking_states import OPEN_STATES
    return OPEN_STATES


def _load_subject(subject_type: str, subject_id: str):
    from chalicelib.models.customers import Customer
    from chalicelib.models.helpers import Helper

    prefix, model = ("c", Customer) if subject_type == "customer" else ("h", Helper)
    if not isinstance(subject_id, str) or not subject_id.startswith(prefix + "_") or len(subject_id) > 64 \
            or not subject_id.replace("_", "").isalnum():
        raise ValidationFailed(f"subject_id must be a {subject_type} id ({prefix}_...)", field="subject_id")
    try:
        return model.get(subject_id, consistent_read=True)
    except model.DoesNotExist:
        raise NotFound(f"{subject_type} {subject_id} was not found", field="subject_id") from None


def _subject(kind: str, row, bookings) -> Subject:
    s = Subject(kind=kind, id=row.customer_id if kind == "customer" else row.helper_id, tenant_id=row.tenant_id,
                email=row.email if row.email and not row.email.startswith("erased+") else None)
    s.booking_ids = [b.booking_id for b in bookings]
    raw = [row.email, getattr(row, "name", None), getattr(row, "phone", None)]
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


# ---- copies in other records ------------------------------------------------------------------

def _scrub_webhook_deliveries(s: Subject) -> int:
    from chalicelib.models.partners import WebhookDelivery

    return _scrub_json_attribute(WebhookDelivery.scan(WebhookDelivery.tenant_id == s.tenant_id),
                                 WebhookDelivery.payload, s)


def _scrub_failures(s: Subject) -> int:
    from chalicelib.models.failures import FailedUnit

    n = 0
    for f in FailedUnit.scan():
        if s.mentions(f.payload) or s.mentions(f.error):
            payload, error = scrub_json(f.payload, s.values), scrub_text(f.error, s.values)
            if (payload, error) != (f.payload, f.error):
                f.update(actions=[FailedUnit.payload.set(payload), FailedUnit.error.set(error)])
                n += 1
    return n


def _scrub_idempotency(s: Subject) -> int:
    from chalicelib.models.idempotency import IdempotencyRecord

    return _scrub_json_attribute(IdempotencyRecord.scan(IdempotencyRecord.result.exists()),
                                 IdempotencyRecord.result, s)


def _scrub_json_attribute(items, attribute, s: Subject) -> int:
    """Scrub the person's values inside one JSON text attribute of ``items``; how many changed."""
    n = 0
    for item in items:
        text = getattr(item, attribute.attr_name)
        if s.mentions(text):
            cleaned = scrub_json(text, s.values)
            if cleaned != text:
                item.update(actions=[attribute.set(cleaned)])
                n += 1
    return n


def _scrub_quality_cases(s: Subject) -> int:
    from chalicelib.models.quality import QualityCase

    n = 0
    for c in QualityCase.scan(QualityCase.tenant_id == s.tenant_id):
        if s.id not in (c.helper_id, c.customer_id) and not (s.mentions(c.detail) or s.mentions(c.notes)):
            continue
        detail, notes = scrub_text(c.detail, s.values), scrub_text(c.notes, s.values)
        if (detail, notes) != (c.detail, c.notes):
            c.update(actions=[QualityCase.detail.set(detail) if detail else QualityCase.detail.remove(),
                              QualityCase.notes.set(notes) if notes else QualityCase.notes.remove()])
            n += 1
    return n


def _scrub_notification_log(s: Subject) -> int:
    from chalicelib.models.notification_log import NotificationLog as L

    n = 0
    for scope in [*s.booking_ids, f"recipient#{s.kind}#{s.id}"]:
        for r in L.query(scope):
            actions = []
            if r.recipient_id == s.id and r.address:
                actions.append(L.address.remove())
            for attr in (L.title, L.error):
                old = getattr(r, attr.attr_name)
                new = scrub_text(old, s.values)
                if new != old:
                    actions.append(attr.set(new))
            if actions:
                r.update(actions=actions)
                n += 1
    return n


def _scrub_reviews(s: Subject) -> int:
    from chalicelib.models.reviews import Review

    if s.kind == "customer":
        rows = [r for r in Review.batch_get(s.booking_ids)] if s.booking_ids else []
    else:
        rows = list(Review.by_helper.query(s.id))
    n = 0
    for r in rows:
        actions = []
        if s.kind == "customer" and r.customer_id == s.id:
            if r.reviewer_first_name:
                actions.append(Review.reviewer_first_name.remove())
            if r.comment:
                actions.append(Review.comment.remove())
        elif r.comment and scrub_text(r.comment, s.values) != r.comment:
            actions.append(Review.comment.set(scrub_text(r.comment, s.values)))
        if actions:
            # no version bump: the reviews stream turns versions into rating deltas, and the stars stay
            r.update(actions=actions)
            n += 1
    return n


def _scrub_customer_ratings(s: Subject) -> int:
    from chalicelib.models.customer_ratings import CustomerRating

    n = 0
    for r in (CustomerRating.batch_get(s.booking_ids) if s.booking_ids else []):
        if not r.comment:
            continue
        new = None if s.kind == "customer" and r.customer_id == s.id else scrub_text(r.comment, s.values)
        if new != r.comment:
            r.update(actions=[CustomerRating.comment.set(new) if new else CustomerRating.comment.remove()])
            n += 1
    return n


def _scrub_payments(s: Subject) -> int:
    """Free text on the money side (refund and extra-approval reasons, the receipt's helper name);
    amounts, ids and steps stay as they are."""
    from chalicelib.models.payments import Payment

    n = 0
    for p in (Payment.batch_get(s.booking_ids) if s.booking_ids else []):
        actions = []
        for attr in (Payment.refunds, Payment.extra_approvals):
            rows = [_as_dict(x) for x in (getattr(p, attr.attr_name) or [])]
            cleaned = [{k: (scrub_text(v, s.values) if k in FREE_TEXT_KEYS and isinstance(v, str) else v)
                        for k, v in row.items()} for row in rows]
            if cleaned != rows:
                actions.append(attr.set(cleaned))
        receipt = _as_dict(p.receipt)
        if s.kind == "helper" and receipt.get("helper_first_name") not in (None, ERASED):
            actions.append(Payment.receipt.set({**receipt, "helper_first_name": ERASED}))
        if actions:
            p.update(actions=[*actions, Payment.version.add(1)], condition=Payment.version == p.version)
            n += 1
    return n


def _scrub_offers(s: Subject) -> int:
    from chalicelib.models.offers import Offer

    if s.kind != "customer":
        return 0  # an offer holds the customer's booking summary, nothing of the helper
    n = 0
    for bid in s.booking_ids:
        for o in Offer.query(bid):
            if _as_dict(o.summary):
                o.update(actions=[Offer.summary.set({})])
                n += 1
    return n


def _scrub_booking(s: Subject, b) -> int:
    from chalicelib.models.bookings import Booking

    actions = []
    history = _history(b)
    if s.kind == "customer":
        if b.description != ERASED:
            actions.append(Booking.description.set(ERASED))
        if b.location is not None:
            actions.append(Booking.location.remove())
        if _as_dict(b.contact):
            actions.append(Booking.contact.set({}))
        cleaned = [{k: (ERASED if k in FREE_TEXT_KEYS and v else v) for k, v in e.items()} for e in history]
    else:
        cleaned = [{k: (ERASED if k in FREE_TEXT_KEYS and v and e.get("actor_id") == s.id else
                        scrub_text(v, s.values) if k in FREE_TEXT_KEYS and isinstance(v, str) else v)
                    for k, v in e.items()} for e in history]
    if cleaned != history:
        actions.append(Booking.history.set(cleaned))
    if not actions:
        return 0
    # state and version untouched: an erasure is not a transition (the stream sees a MODIFY whose
    # transition effects, keyed by version, already ran)
    b.update(actions=actions, condition=Booking.state == b.state)
    return 1


def _delete_push_subscriptions(s: Subject) -> int:
    from chalicelib.models.push_subscriptions import PushSubscription

    rows = list(PushSubscription.query(s.owner))
    for r in rows:
        r.delete()
    return len(rows)


def _delete_prefs(s: Subject) -> int:
    from chalicelib.models.notification_prefs import NotificationPrefs

    try:
        NotificationPrefs.get(s.owner).delete()
        return 1
    except NotificationPrefs.DoesNotExist:
        return 0


def _delete_signin_records(s: Subject) -> int:
    from chalicelib.models.signin import PhoneVerification, SignInCode

    n = 0
    keys = [(PhoneVerification, f"phone#{s.kind}#{s.id}")]
    if s.email:
        keys.append((SignInCode, f"{s.tenant_id}#{s.kind}#{s.email}"))
    for model, key in keys:
        try:
            model.get(key).delete()
            n += 1
        except model.DoesNotExist:
            pass
    return n


def _scrub_subject_row(s: Subject, row) -> int:
    actions = []
    cls = type(row)
    if row.email != s.pseudonymous_email:
        actions += [cls.email.set(s.pseudonymous_email), cls.email_key.set(f"{s.tenant_id}#{s.pseudonymous_email}")]
    for name in ("phone",):
        if getattr(row, name) is not None:
            actions.append(getattr(cls, name).remove())
    if s.kind == "customer":
        for name in ("name", "address", "stripe_customer_id", "default_payment_method"):
            if getattr(row, name) is not None:
                actions.append(getattr(cls, name).remove())
    else:
        for name in ("name", "first_name"):
            if getattr(row, name) != ERASED:
                actions.append(getattr(cls, name).set(ERASED))
        for name in ("photo_url", "bio", "city", "geo_pk", "geo_sk", "remote_pool", "remote_sk"):
            if getattr(row, name) is not None:
                actions.append(getattr(cls, name).remove())
        if (row.lat, row.lon) != (0, 0):
            actions += [cls.lat.set(0), cls.lon.set(0)]
        if row.status != "suspended":
            actions += [cls.status.set("suspended"), cls.tenant_status.set(f"{row.tenant_id}#suspended")]
        if row.on_call or _as_dict(row.availability):
            actions += [cls.on_call.set(False), cls.availability.set({})]
    if not actions:
        return 0
    row.update(actions=actions)
    return 1
