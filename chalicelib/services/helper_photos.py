"""A helper's photo: upload (validated, stored in S3) and the short-lived URL each viewer may get."""
from __future__ import annotations

from chalicelib.domain import photos as dom
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.store.conditions import ConditionFailed
from chalicelib.store.helpers import helpers


def upload_photo(actor: Actor, data: bytes, content_type: str | None, public: bool) -> dict:
    """Store the helper's own photo (replacing the last one) and whether it may be shown publicly."""
    if actor.role != "helper":
        raise Forbidden("only helpers upload a photo of themselves")
    ext = dom.check_photo(data, content_type)
    key = dom.photo_key(actor.id, data, ext)
    from chalicelib.adapters import photos

    photos.store(key, data, "image/jpeg" if ext == "jpg" else "image/png")
    try:
        helpers().set_photo(actor.id, key, bool(public))
    except ConditionFailed:
        raise NotFound("your helper profile was not found", field="helper_id") from None
    return {"photo_url": photos.signed_url(key), "public": bool(public), "expires_in": dom.URL_SECONDS}


def photo_url_for(helper, *, viewer_role: str | None, assigned_customer: bool = False) -> str | None:
    """A presigned URL of the helper's photo if this viewer may see it, else None."""
    if not helper.photo_key or not dom.may_see_photo(public=bool(helper.photo_public), viewer_role=viewer_role,
                                                     assigned_customer=assigned_customer):
        return None
    from chalicelib.adapters import photos

    return photos.signed_url(helper.photo_key)


def my_photo(actor: Actor) -> dict:
    """The helper's own current photo (a presigned URL, or None) and whether it is public."""
    if actor.role != "helper":
        raise Forbidden("only helpers have a photo of themselves")
    helper = helpers().get(actor.id, consistent=True)
    if helper is None:
        raise NotFound("your helper profile was not found", field="helper_id")
    url = photo_url_for(helper, viewer_role="helper")
    return {"photo_url": url, "public": bool(helper.photo_public), "expires_in": dom.URL_SECONDS if url else 0}
