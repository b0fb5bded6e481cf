"""Who a notification reaches and how: a recipient's addresses and settings read at send time,
and the channels (e-mail, SMS, Web Push) the routing table allows and the person can use."""
from __future__ import annotations

from chalicelib.domain import notifications as routing
from chalicelib.store.records import NotificationPrefsRecord, PushSubscriptionRecord


def prefs_of(role: str, rid: str) -> NotificationPrefsRecord | None:
    from chalicelib.store.notification_prefs import notification_prefs

    return notification_prefs().get(f"{role}#{rid}")


def person(recipient: dict) -> dict:
    """Where and how to reach a recipient right now (addresses are read at send time)."""
    role, rid = recipient["role"], recipient["id"]
    prefs = prefs_of(role, rid)
    person = {"role": role, "id": rid, "email": None, "phone": None, "languages": [], "on_call": False,
              "email_on": prefs.email if prefs else True, "sms_on": bool(prefs and prefs.sms),
              "language": prefs.language if prefs else None,
              "quiet_hours": dict(prefs.quiet_hours) if prefs and prefs.quiet_hours else None}
    if role == "customer":
        from chalicelib.store.people import people
        c = people().customer(rid)
        if c is not None:
            person.update(email=c.email, phone=c.phone, languages=[c.language])
    elif role == "helper":
        from chalicelib.store.helpers import helpers
        h = helpers().reach(rid)
        if h is not None:
            person.update(email=h.email, phone=h.phone, languages=list(h.languages or []), on_call=bool(h.on_call))
    elif role == "ops":
        person.update(email=rid)
    if prefs and prefs.phone:
        person["phone"] = prefs.phone
    return person


def subscriptions_of(role: str, rid: str) -> list[PushSubscriptionRecord]:
    from chalicelib.store.push_subscriptions import push_subscriptions

    return push_subscriptions().for_owner(f"{role}#{rid}")


def targets(event_type: str, person: dict) -> list[dict]:
    targets = []
    for channel in routing.channels_for(event_type, person["role"]):
        if channel == routing.EMAIL and person["email"] and person["email_on"]:
            targets.append({"channel": channel, "key": channel, "to": person["email"],
                            "masked": _mask_email(person["email"])})
        elif channel == routing.SMS and person["sms_on"] and person["phone"] and _phone_verified(person):
            targets.append({"channel": channel, "key": channel, "to": person["phone"],
                            "masked": _mask_phone(person["phone"])})
        elif channel == routing.PUSH:
            for sub in subscriptions_of(person["role"], person["id"]):
                targets.append({"channel": channel, "key": f"push#{sub.subscription_id}", "sub": sub,
                                "masked": sub.device or host(sub.endpoint)})
    return targets


def _phone_verified(person: dict) -> bool:
    """SMS only to the number this person confirmed with a texted code (issue 16)."""
    from chalicelib.services.auth import verified_phone

    verified = verified_phone(person["role"], person["id"])
    return bool(verified) and verified == (person["phone"] or "").replace(" ", "")


def _mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "")
    return f"{digits[:3]}***{digits[-2:]}"


def host(url: str) -> str:
    from urllib.parse import urlsplit
    return urlsplit(url).hostname or "browser"


