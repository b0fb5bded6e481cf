"""Reviews API (v1): customers review a completed visit (signed in or with the e-mailed review
link), helpers rate the customer privately, anyone reads a helper's public profile; and the
reviews stream handler that keeps the rating aggregates."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.batch import image, process_stream
from chalicelib.http import Auth, Edge, Reply, signed_in
from chalicelib.http.auth import authenticate
from chalicelib.http import types as t
from chalicelib.lazy import lazy
from chalicelib.streams import stream_arn

bp = Blueprint(__name__)
api = Edge(bp, tag="reviews")
svc = lazy("chalicelib.services.reviews")
profiles = lazy("chalicelib.services.profiles")
ratings = lazy("chalicelib.services.ratings")
review_model = lazy("chalicelib.models.reviews")


def reviewer(*roles: str) -> Auth:
    """The customer by the review link's token (``X-Review-Token``, bound to the booking), or a
    bearer token of one of ``roles``."""
    def resolve(request, path):
        token = (request.headers or {}).get("x-review-token")
        if token:
            booking_id = t.BookingId.parse("booking_id", path.get("booking_id"))
            return svc.reviewer_from_review_token(token.strip(), booking_id), None
        return authenticate(request, *roles), None
    return Auth(f"the review link's token or {' or '.join(roles)}", ("reviewToken", "bearerAuth"), resolve)


@api.post("/v1/bookings/{booking_id}/review", auth=reviewer("customer"), body="review_schemas:SubmitReview",
          response="ReviewOut", status=201)
def submit_review(call, booking_id):
    """Review a completed visit (signed in, or with the review link's token)"""
    review = svc.submit_review(call.actor, booking_id, call.body)
    return Reply(svc.review_view(review), headers={"Location": f"/v1/bookings/{booking_id}/review"})


@api.patch("/v1/bookings/{booking_id}/review", auth=reviewer("customer"), body="review_schemas:EditReview",
           response="ReviewOut")
def edit_review(call, booking_id):
    """Edit my review (within the edit window)"""
    return svc.review_view(svc.edit_review(call.actor, booking_id, call.body))


@api.get("/v1/bookings/{booking_id}/review", auth=reviewer("customer", "ops"), response="ReviewOut")
def get_review(call, booking_id):
    """The review of a booking"""
    review = svc.get_review_for(call.actor, booking_id)
    return svc.review_view(review, ops=call.actor.role == "ops")


@api.post("/v1/bookings/{booking_id}/customer-rating", auth=signed_in("helper"), body="review_schemas:RateCustomer",
          response="CustomerRatingOut", status=201)
def rate_customer(call, booking_id):
    """The helper rates the customer (private)"""
    rating = svc.rate_customer(call.actor, booking_id, call.body.stars, call.body.comment)
    return {"booking_id": rating.booking_id, "stars": int(rating.stars), "private": True}


@api.get("/v1/helpers/{helper_id}", query={"lang": t.Language.but(default="en")}, response="PublicProfile")
def helper_profile(call, helper_id):
    """A helper's public profile (first name, skills, rating, reviews)"""
    return profiles.public_profile(helper_id, call.query["lang"])


@bp.on_dynamodb_record(stream_arn=stream_arn("reviews"), batch_size=25, starting_position="TRIM_HORIZON")
def on_review_change(event):
    """Keep rating aggregates: one guarded, atomic ADD transaction per review version."""
    def handle(record):
        review = review_model.Review
        ratings.apply_review_change(image(record, "NewImage", review), image(record, "OldImage", review))

    # add_counters writes its own guard (review + version) in the same transaction as the ADDs
    return process_stream("reviews", event, handle, guard=False)
