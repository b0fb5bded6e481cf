"""The helper's photo: ``PUT /v1/helper/photo`` with the picture as the body (image/jpeg or
image/png, at most 2 MB); ``?public=true`` lets it show on the public helper card too."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import Edge, signed_in
from chalicelib.http import types as t
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
api = Edge(bp, tag="helpers")
photos = lazy("chalicelib.services.helper_photos")
PUBLIC_TOO = t.Param({"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]},
                     lambda raw: raw.lower() in ("1", "true", "yes"), default=False,
                     description="true: show it on the public helper card too")


@api.put("/v1/helper/photo", auth=signed_in("helper"), query={"public": PUBLIC_TOO},
         raw_body=("image/jpeg", "image/png", "image/jpg"), response="HelperPhotoOut")
def upload_helper_photo(call):
    """Upload my photo (helpers; the body is the JPEG or PNG, at most 2 MB)"""
    request = call.request
    return photos.upload_photo(call.actor, request.raw_body or b"", (request.headers or {}).get("content-type"),
                               call.query["public"])


@api.get("/v1/helper/photo", auth=signed_in("helper"), response="MyPhotoOut")
def my_helper_photo(call):
    """My current photo (helpers): a short-lived URL, or none yet"""
    return photos.my_photo(call.actor)
