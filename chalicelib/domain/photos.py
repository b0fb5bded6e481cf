"""Helper photos: what may be uploaded and who may see it. Pure: no AWS.

- JPEG or PNG only, recognised by the file's first bytes (the declared Content-Type must agree),
  at most ``MAX_BYTES``.
- Stored under a key derived from the helper and the content, never from a name the uploader chose.
- Shown through short-lived presigned URLs (``URL_SECONDS``). The customer a helper is assigned to
  (and ops) always see it: she should know who rings her doorbell. On the public helper card
  (discovery, profile) it appears only if the helper agreed (``public``).
"""
from __future__ import annotations

import hashlib

from chalicelib.domain.errors import ValidationFailed

MAX_BYTES = 2 * 1024 * 1024
URL_SECONDS = 15 * 60
SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff", "jpg"), "image/png": (b"\x89PNG\r\n\x1a\n", "png")}


class PhotoTooLarge(ValidationFailed):
    status, code, title = 413, "photo-too-large", "The photo is too large"


def check_photo(data: bytes, content_type: str | None) -> str:
    """The file extension of a valid photo; a 4xx naming what is wrong otherwise."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in SIGNATURES:
        raise ValidationFailed("send the photo as JPEG or PNG (Content-Type image/jpeg or image/png)",
                               field="Content-Type", extra={"code": "photo_type"})
    if not data:
        raise ValidationFailed("the photo is empty; choose a picture file", field="body", extra={"code": "photo_empty"})
    if len(data) > MAX_BYTES:
        raise PhotoTooLarge(f"the photo is {len(data) // 1024} KB; at most {MAX_BYTES // 1024} KB, please",
                            field="body", extra={"code": "photo_too_large", "max_bytes": MAX_BYTES})
    magic, ext = SIGNATURES[declared]
    if not data.startswith(magic):
        raise ValidationFailed("this file is not a JPEG or PNG picture", field="body", extra={"code": "photo_type"})
    return ext


def photo_key(helper_id: str, data: bytes, ext: str) -> str:
    return f"helpers/{helper_id}/{hashlib.sha256(data).hexdigest()[:20]}.{ext}"


def may_see_photo(*, public: bool, viewer_role: str | None, assigned_customer: bool) -> bool:
    """Who sees a helper's photo: ops, the customer she is assigned to, the helper, and everyone
    else only if the helper agreed to a public photo."""
    return bool(public) or viewer_role in ("ops", "helper") or assigned_customer
