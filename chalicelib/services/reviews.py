"""Reviews: asking for one after completion, submitting and editing it, the helper's private rating
of the customer, ops hiding an abusive comment, and the spot-check draw.

Who may review: the booking's customer, proven either by a sign-in token or by the **review token**
e-mailed after completion (no password, no sign-in code needed). The review token is an HS256 token
signed with a key derived from ``TOKEN_SECRET`` for this purpose only, so it can never be used as a
sign-in token (and a sign-in token is never a review token). It names one booking and expires
``REVIEW_WINDOW_DAYS`` after completion.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta, timezone

from chalicelib.domain import booking_states as bs
from chalicelib.domain import tokens
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated
from chalicelib.domain.ids import now_iso
from chalicelib.domain.review_schemas import EditReview, SubmitReview
from chalicelib.credentials import get_secret
from chalicelib.settings import get_settings
from chalicelib.store.bookings import bookings as bookings_store
from chalicelib.store.quality import quality as quality_store
from chalicelib.store.reviews import customer_ratings as customer_ratings_store, reviews as reviews_store
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import BookingFacts, CustomerRatingRecord, QualityCaseRecord, ReviewRecord

log = logging.getLogger(__name__)

REVIEW_WINDOW_DAYS = 30  # a review can be given up to 30 days after completion
EDIT_DAYS = 7  # and changed for 7 days after it was first given
DEFAULT_SPOT_CHECK_RATE = 0.10  # share of completed bookings drawn for an ops follow-up call


class AlreadyReviewed(Conflict):
    code, title = "already-reviewed", "This visit has already been reviewed"


class NotReviewable(Conflict):
    code, title = "not-reviewable", "This visit cannot be reviewed"


class EditWindowClosed(Conflict):
    code, title = "edit-window-closed", "This review can no longer be changed"


def _review_key() -> str:
    return hmac.new(get_secret("TOKEN_SECRET").encode(), b"crowdfix-review-token-v1", hashlib.sha256).hexdigest()


def issue_review_token(booking_id: str, tenant_id: str, ttl_seconds: int = REVIEW_WINDOW_DAYS * 86400) -> str:
    return tokens.issue(_review_key(), role="review", subject=booking_id, tenant=tenant_id, ttl_seconds=ttl_seconds)


def reviewer_from_review_token(token: str, booking_id: str) -> Actor:
    """The customer of ``booking_id`` as proven by an e-mailed review token."""
    try:
        claims = tokens.verify(_review_key(), token)
    except Unauthenticated:
        raise Unauthenticated("this review link is not valid or has expired; sign in to review instead",
                              field="X-Review-Token") from None
    if claims["role"] != "review" or claims["sub"] != booking_id:
        raise Forbidden("this review link is for another visit", field="X-Review-Token")
    booking = _booking(booking_id)
    return Actor("customer", booking.customer_id, booking.tenant_id)


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _booking(booking_id: str) -> BookingFacts:
    booking = bookings_store().facts(booking_id)
    if booking is None:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def _customer_booking(actor: Actor, booking_id: str) -> BookingFacts:
    if actor.role != "customer":
        raise Forbidden("only the customer of a visit can review it")
    booking = _booking(booking_id)
    if booking.customer_id != actor.id or booking.tenant_id != actor.tenant_id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def submit_review(actor: Actor, booking_id: str, body: SubmitReview, now: datetime | None = None) -> ReviewRecord:
    """The customer's one review of a completed visit."""
    booking = _customer_booking(actor, booking_id)
    if booking.state != bs.COMPLETED or not booking.helper_id:
        raise NotReviewable(f"only a completed visit can be reviewed; this one is {booking.state}",
                            extra={"state": booking.state})
    now = now or datetime.now(timezone.utc)
    done = booking.completed_at or booking.updated_at
    if now > _parse(done) + timedelta(days=REVIEW_WINDOW_DAYS):
        raise NotReviewable(f"reviews can be given up to {REVIEW_WINDOW_DAYS} days after the visit")
    names = (booking.contact_name or "").split()
    review = ReviewRecord(booking_id=booking_id, tenant_id=booking.tenant_id, helper_id=booking.helper_id,
                          customer_id=booking.customer_id, reviewer_first_name=names[0] if names else None,
                          overall=body.overall, patience=body.patience, clarity=body.clarity,
                          would_recommend=body.would_recommend, would_book_again=body.would_book_again,
                          comment=body.comment or None, comment_hidden=False, language=booking.language or "de",
                          period_day=done[:10], created_at=_iso(now), updated_at=_iso(now),
                          editable_until=_iso(now + timedelta(days=EDIT_DAYS)), version=1)
    try:
        reviews_store().add(review)
    except AlreadyExists:
        raise AlreadyReviewed("this visit already has a review; you can change it for "
                              f"{EDIT_DAYS} days after giving it (PATCH)") from None
    return review


def get_review_for(actor: Actor, booking_id: str) -> ReviewRecord:
    if actor.role == "customer":
        _customer_booking(actor, booking_id)
    elif actor.role == "ops":
        if not actor.may_see_tenant(_booking(booking_id).tenant_id):
            raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    else:
        raise Forbidden("only the customer and operations can read a review")
    review = reviews_store().get(booking_id)
    if review is None:
        raise NotFound("this visit has no review yet", field="booking_id")
    return review


def edit_review(actor: Actor, booking_id: str, body: EditReview, now: datetime | None = None) -> ReviewRecord:
    """Change a review within ``EDIT_DAYS`` of giving it; only the given fields change."""
    review = get_review_for(actor, booking_id)
    now = now or datetime.now(timezone.utc)
    if now > _parse(review.editable_until):
        raise EditWindowClosed(f"a review can be changed for {EDIT_DAYS} days after it was given",
                               extra={"editable_until": review.editable_until})
    changes: dict = {"version": review.version + 1, "updated_at": _iso(now)}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name == "comment":
            changes["comment"] = value or None
        elif value is None:
            raise DomainError(f"{name} cannot be removed, only changed", field=name)
        else:
            changes[name] = value
    try:
        return reviews_store().update(booking_id, expected_version=review.version, changes=changes,
                                      editable_at=_iso(now))
    except ConditionFailed:
        raise Conflict("the review was changed at the same time; load it again and retry") from None


def set_comment_hidden(actor: Actor, booking_id: str, hidden: bool, reason: str) -> ReviewRecord:
    """Ops hide (or show again) an abusive comment. Scores and aggregates stay as they are."""
    review = get_review_for(actor, booking_id)
    try:
        return reviews_store().update(booking_id, expected_version=review.version,
                                      changes={"comment_hidden": hidden, "hidden_reason": reason,
                                               "version": review.version + 1, "updated_at": now_iso()})
    except ConditionFailed:
        raise Conflict("the review was changed at the same time; load it again and retry") from None


def rate_customer(actor: Actor, booking_id: str, stars: int, comment: str | None) -> CustomerRatingRecord:
    """The assigned helper's private rating of the customer (ops only read it)."""
    if actor.role != "helper":
        raise Forbidden("only the helper of a visit can rate the customer")
    booking = _booking(booking_id)
    if booking.helper_id != actor.id:
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    if booking.state != bs.COMPLETED:
        raise NotReviewable(f"only a completed visit can be rated; this one is {booking.state}",
                            extra={"state": booking.state})
    rating = CustomerRatingRecord(booking_id=booking_id, tenant_id=booking.tenant_id,
                                  customer_id=booking.customer_id, helper_id=actor.id, stars=stars,
                                  comment=comment or None, created_at=now_iso())
    try:
        customer_ratings_store().add(rating)
    except AlreadyExists:
        raise AlreadyReviewed("you have already rated the customer of this visit") from None
    return rating


def ratings_of_booking(actor: Actor, booking_id: str) -> dict:
    """Ops: both sides' ratings of one visit."""
    if actor.role != "ops":
        raise Forbidden("this is for operations staff")
    booking = _booking(booking_id)
    if not actor.may_see_tenant(booking.tenant_id):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    out: dict = {"booking_id": booking_id, "review": None, "customer_rating": None}
    review = reviews_store().get(booking_id)
    if review is not None:
        out["review"] = review_view(review, ops=True)
    r = customer_ratings_store().get(booking_id)
    if r is not None:
        out["customer_rating"] = {"stars": int(r.stars), "comment": r.comment, "helper_id": r.helper_id,
                                  "customer_id": r.customer_id, "created_at": r.created_at}
    return out


def review_view(review: ReviewRecord, ops: bool = False) -> dict:
    view = {"booking_id": review.booking_id, "helper_id": review.helper_id, "overall": int(review.overall),
            "patience": int(review.patience), "clarity": int(review.clarity),
            "would_recommend": review.would_recommend, "would_book_again": review.would_book_again,
            "comment": review.comment, "comment_hidden": bool(review.comment_hidden),
            "created_at": review.created_at, "updated_at": review.updated_at,
            "editable_until": review.editable_until, "version": int(review.version)}
    if ops:
        view.update(tenant_id=review.tenant_id, customer_id=review.customer_id, hidden_reason=review.hidden_reason)
    return view


# ---------------------------------------------------------------------------------------------
# after completion: ask for a review, draw a spot check

def review_link(booking_id: str, token: str) -> str:
    # the token travels in the fragment, so it never reaches a server log; the page sends it back
    # in the X-Review-Token header
    return f"{get_settings().public_base_url}/review/{booking_id}#token={token}"


def ask_for_review(booking: dict, entry: dict, old: dict | None) -> None:
    """Ask the customer for a review: a link with a signed token, through the notification queue
    (e-mail in the customer's language; the event id makes a redelivered record send nothing twice)."""
    from chalicelib.services.notifications import enqueue_notification

    if not booking.get("customer_id"):
        return
    done = _parse(entry.get("at") or now_iso())
    remaining = int((done + timedelta(days=REVIEW_WINDOW_DAYS) - datetime.now(timezone.utc)).total_seconds())
    if remaining <= 0:
        return
    token = issue_review_token(booking["booking_id"], booking["tenant_id"], ttl_seconds=remaining)
    enqueue_notification("review_request", booking["booking_id"], {"role": "customer", "id": booking["customer_id"]},
                         {"review_url": review_link(booking["booking_id"], token)},
                         event_id=f"review_request#{booking['booking_id']}")


def spot_check_rate(tenant_id: str) -> float:
    from chalicelib.services.tenants import tenant_policy
    return float(tenant_policy(tenant_id).get("spot_check_rate", DEFAULT_SPOT_CHECK_RATE))


def draw_spot_check(booking: dict, entry: dict, old: dict | None) -> bool:
    """Draw the completed booking for an ops follow-up call with the tenant's ``spot_check_rate``."""
    from chalicelib.domain.ratings import spot_check_sampled

    if not spot_check_sampled(booking["booking_id"], spot_check_rate(booking["tenant_id"]), _review_key()):
        return False
    quality_store().open(QualityCaseRecord(
        case_id=f"spot#{booking['booking_id']}", kind="spot_check", tenant_id=booking["tenant_id"],
        helper_id=booking["helper_id"], booking_id=booking["booking_id"], customer_id=booking["customer_id"],
        detail="random follow-up call after completion", status="open", created_at=now_iso()))
    return True


def count_no_show(booking: dict, entry: dict, old: dict | None) -> None:
    """A helper cancelling an accepted job counts toward the no-show quality rule."""
    if entry.get("transition") != "cancel_by_helper":
        return
    from chalicelib.services.ratings import record_no_show
    record_no_show(booking, entry)
