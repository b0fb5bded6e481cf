"""Request bodies of the notifications API: preferences and Web Push subscriptions."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, field_validator

from chalicelib.domain.schemas import Language, Strict

# Push services of the browsers we support. The server POSTs to a subscription's endpoint, so an
# arbitrary URL would let anyone make us call any host: only these hosts (exact, after the one
# strict parse in ``domain.urls``; ``.suffix`` for Windows' per-region hosts) and loopback on the
# local stage, for the stand-in push service, are accepted. The sender checks again
# (``adapters.webpush`` through ``adapters.outbound``).
PUSH_SERVICE_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "push.services.mozilla.com",
                      "web.push.apple.com", ".notify.windows.com")


def push_endpoint_allowed(endpoint: str, stage: str) -> bool:
    from chalicelib.domain.urls import UrlRefused, host_allowed, parse_url
    try:
        target = parse_url(endpoint)
    except UrlRefused:
        return False
    if stage == "local" and target.host in ("127.0.0.1", "localhost"):
        return True
    return target.scheme == "https" and target.port == 443 and host_allowed(target.host, PUSH_SERVICE_HOSTS)


class QuietHours(Strict):
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    tz: str = Field(default="Europe/Zurich", max_length=64)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError("not a known time zone (e.g. Europe/Zurich)") from None
        return v


class NotificationSettings(Strict):
    email: bool = True
    sms: bool = False
    phone: Optional[str] = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$",
                                 description="mobile number in international form, e.g. +41791234567")
    language: Optional[Language] = None
    quiet_hours: Optional[QuietHours] = None


class PhoneVerificationStart(Strict):
    """``POST /v1/me/phone-verification``: text a code to this number; SMS go only to a verified one."""
    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="mobile number in international form, e.g. +41791234567")
    language: Language = "de"


class PhoneVerificationConfirm(Strict):
    code: str = Field(pattern=r"^[0-9]{6}$", description="the 6-digit code from the text message")


class PushKeys(Strict):
    p256dh: str = Field(pattern=r"^[A-Za-z0-9_\-]{80,100}={0,2}$")
    auth: str = Field(pattern=r"^[A-Za-z0-9_\-]{16,30}={0,2}$")


class PushSubscriptionIn(Strict):
    endpoint: str = Field(min_length=10, max_length=1024)
    keys: PushKeys
    device: Optional[str] = Field(default=None, max_length=60)
    expirationTime: Optional[int] = None  # what PushSubscription.toJSON() includes; unused

    @field_validator("endpoint")
    @classmethod
    def _allowed(cls, v: str) -> str:
        from chalicelib.settings import get_settings
        if not push_endpoint_allowed(v, get_settings().stage):
            raise ValueError("this is not the address of a known browser push service")
        return v
