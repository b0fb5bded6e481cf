"""The helper's photo: ``PUT /v1/helper/photo`` with the picture as the body (image/jpeg or
image/png, at most 2 MB); ``?public=true`` lets it show on the public helper card too."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.handlers.common import authenticate, ok

bp = Blueprint(__name__)


@bp.route("/v1/helper/photo", methods=["PUT"], content_types=["image/jpeg", "image/png", "image/jpg"])
def upload_helper_photo():
    from chalicelib.services.helper_photos import upload_photo
    request = bp.current_request
    actor = authenticate(request, "helper")
    public = ((request.query_params or {}).get("public") or "").lower() in ("1", "true", "yes")
    return ok(upload_photo(actor, request.raw_body or b"", (request.headers or {}).get("content-type"), public))
