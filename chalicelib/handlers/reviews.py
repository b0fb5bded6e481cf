"""Reviews API (v1): customers review a completed visit (signed in or with the e-mailed review
link), helpers rate the customer privately, anyone reads a helper's public profile; and the
reviews stream handler that keeps the rating aggregates."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import ValidationFailed
from chalicelib.handlers.batch import image, process_stream
from chalicelib.handlers.common import authenticate, ok, parse_body, path_id
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)


def _reviewer(request, booking_id: str):
    """The customer, by the review link's token (``X-Review-Token``) or by sign-in."""
    token = (request.headers or {}).get("x-review-token")
    if token:
        from chalicelib.services.reviews import reviewer_from_review_token
        return reviewer_from_review_token(token.strip(), booking_id)
    return authenticate(request, "customer")


@bp.route("/v1/bookings/{booking_id}/review", methods=["POST"])
def submit_review(booking_id):
    from chalicelib.domain.review_schemas import SubmitReview
    from chalicelib.services import reviews as svc
    request = bp.current_request
    booking_id = path_id(booking_id, "b", "booking_id")
    actor = _reviewer(request, booking_id)
    body = parse_body(request, SubmitReview)
    review = svc.submit_review(actor, booking_id, body)
    return ok(svc.review_view(review), status=201, headers={"Location": f"/v1/bookings/{booking_id}/review"})


@bp.route("/v1/bookings/{booking_id}/review", methods=["PATCH"])
def edit_review(booking_id):
    from chalicelib.domain.review_schemas import EditReview
    from chalicelib.services import reviews as svc
    request = bp.current_request
    booking_id = path_id(booking_id, "b", "booking_id")
    actor = _reviewer(request, booking_id)
    body = parse_body(request, EditReview)
    return ok(svc.review_view(svc.edit_review(actor, booking_id, body)))


@bp.route("/v1/bookings/{booking_id}/review", methods=["GET"])
def get_review(booking_id):
    from chalicelib.services import reviews as svc
    request = bp.current_request
    booking_id = path_id(booking_id, "b", "booking_id")
    token = (request.headers or {}).get("x-review-token")
    actor = _reviewer(request, booking_id) if token else authenticate(request, "customer", "ops")
    review = svc.get_review_for(actor, booking_id)
    return ok(svc.review_view(review, ops=actor.role == "ops"))


@bp.route("/v1/bookings/{booking_id}/customer-rating", methods=["POST"])
def rate_customer(booking_id):
    from chalicelib.domain.review_schemas import RateCustomer
    from chalicelib.services import reviews as svc
    request = bp.current_request
    actor = authenticate(request, "helper")
    body = parse_body(request, RateCustomer)
    rating = svc.rate_customer(actor, path_id(booking_id, "b", "booking_id"), body.stars, body.comment)
    return ok({"booking_id": rating.booking_id, "stars": int(rating.stars), "private": True}, status=201)


@bp.route("/v1/helpers/{helper_id}", methods=["GET"])
def helper_profile(helper_id):
    from chalicelib.services.profiles import public_profile
    params = bp.current_request.query_params or {}
    lang = params.get("lang", "en")
    if lang not in ("de", "en", "fr", "it"):
        raise ValidationFailed("lang must be one of de, en, fr, it", field="lang")
    return ok(public_profile(path_id(helper_id, "h", "helper_id"), lang))


@bp.on_dynamodb_record(stream_arn=stream_arn("reviews"), batch_size=25, starting_position="TRIM_HORIZON")
def on_review_change(event):
    """Keep rating aggregates: one guarded, atomic ADD transaction per review version."""
    from chalicelib.models.reviews import Review
    from chalicelib.services.ratings import apply_review_change

    def handle(record):
        apply_review_change(image(record, "NewImage", Review), image(record, "OldImage", Review))

    # add_counters writes its own guard (review + version) in the same transaction as the ADDs
    return process_stream("reviews", event, handle, guard=False)
