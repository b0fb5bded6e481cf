"""The public helper profile: who they are, what they can do, and what customers say."""
from __future__ import annotations

from chalicelib.domain import ratings
from chalicelib.domain.errors import NotFound
from chalicelib.services import ratings as agg
from chalicelib.store.helpers import helpers as helpers_store
from chalicelib.store.reviews import reviews as reviews_store

RECENT_COMMENTS = 10


def _initial(first_name: str | None) -> str:
    return f"{first_name.strip()[0].upper()}." if first_name and first_name.strip() else "—"


def _public_photo(helper) -> str | None:
    """Only a photo the helper agreed to show publicly (domain/photos.py)."""
    from chalicelib.services.helper_photos import photo_url_for
    return photo_url_for(helper, viewer_role=None)


def public_profile(helper_id: str, language: str = "en") -> dict:
    """Anyone may read it (no sign-in). Only active helpers have a public profile; reviewers are
    shown by their initial only, and comments hidden by ops are left out (their stars still count)."""
    helper = helpers_store().get(helper_id)
    if helper is None or helper.status != "active":
        raise NotFound(f"helper {helper_id} was not found", field="helper_id")
    totals = agg.read_totals(agg.helper_scope(helper_id))
    n = totals["count"]
    comments = []
    for review in reviews_store().by_helper(helper_id, limit=50):
        if review.comment and not review.comment_hidden:
            comments.append({"overall": int(review.overall), "comment": review.comment,
                             "reviewer": _initial(review.reviewer_first_name), "date": review.created_at[:10]})
            if len(comments) >= RECENT_COMMENTS:
                break
    return {
        "helper_id": helper.helper_id, "first_name": helper.first_name, "photo_url": _public_photo(helper),
        "bio": helper.bio, "city": helper.city, "languages": list(helper.languages or []),
        "skills": {k: int(v) for k, v in (helper.skills or {}).items()},
        "qualifications": list(helper.qualifications or []), "remote": bool(helper.remote),
        "rating": agg.helper_rating(helper, language),
        "histogram": ratings.histogram(totals),
        "dimensions": {"patience": round(totals["patience_sum"] / n, 1) if n else None,
                       "clarity": round(totals["clarity_sum"] / n, 1) if n else None,
                       "would_recommend": round(totals["recommend"] / n, 2) if n else None,
                       "would_book_again": round(totals["rebook"] / n, 2) if n else None},
        "recent_comments": comments,
    }
