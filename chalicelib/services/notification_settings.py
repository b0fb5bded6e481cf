"""The signed-in person's notification settings (e-mail, SMS, language, quiet hours) and their
browsers' Web Push subscriptions."""
from __future__ import annotations

from chalicelib.domain import notifications as routing
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.services.notification_channels import host as _host, person as _person, prefs_of as _prefs, \
    subscriptions_of as _subscriptions


def get_prefs(actor: Actor) -> dict:
    p = _prefs(actor.role, actor.id)
    quiet = (p.quiet_hours.as_dict() if p and p.quiet_hours else None)
    from chalicelib.services.auth import verified_phone

    verified = verified_phone(actor.role, actor.id)
    return {"email": p.email if p else True, "sms": bool(p and p.sms), "phone": p.phone if p else None,
            "phone_verified": bool(p and p.phone and verified == p.phone),
            "language": p.language if p else None,
            **({"quiet_hours": quiet or dict(routing.DEFAULT_QUIET_HOURS)} if actor.role == "helper" else {})}


def save_prefs(actor: Actor, body) -> dict:
    from chalicelib.models.base import now_iso
    from chalicelib.models.notification_prefs import NotificationPrefs

    if body.sms and not body.phone:
        person = _person({"role": actor.role, "id": actor.id})
        if not person["phone"]:
            raise ValidationFailed("give a mobile number to get text messages", field="phone")
    if body.quiet_hours is not None and actor.role != "helper":
        raise ValidationFailed("quiet hours are for helpers", field="quiet_hours")
    NotificationPrefs(owner=f"{actor.role}#{actor.id}", tenant_id=actor.tenant_id, email=body.email, sms=body.sms,
                      phone=body.phone, language=body.language,
                      quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None,
                      updated_at=now_iso()).save()
    return get_prefs(actor)


def _subscription_id(endpoint: str) -> str:
    import hashlib
    return "ps_" + hashlib.sha256(endpoint.encode()).hexdigest()[:24]


def register_subscription(actor: Actor, body) -> tuple[dict, bool]:
    """Store this browser's push subscription (one per device/endpoint). Returns (view, created)."""
    from chalicelib.models.base import now_iso
    from chalicelib.models.push_subscriptions import PushSubscription

    sid = _subscription_id(body.endpoint)
    owner = f"{actor.role}#{actor.id}"
    created = True
    try:
        PushSubscription.get(owner, sid)
        created = False
    except PushSubscription.DoesNotExist:
        pass
    sub = PushSubscription(owner=owner, subscription_id=sid, tenant_id=actor.tenant_id, endpoint=body.endpoint,
                           p256dh=body.keys.p256dh, auth=body.keys.auth, device=body.device, created_at=now_iso())
    sub.save()
    return subscription_view(sub), created


def subscription_view(sub) -> dict:
    return {"subscription_id": sub.subscription_id, "device": sub.device, "push_service": _host(sub.endpoint),
            "created_at": sub.created_at}


def list_subscriptions(actor: Actor) -> list[dict]:
    return [subscription_view(s) for s in _subscriptions(actor.role, actor.id)]


def delete_subscription(actor: Actor, subscription_id: str) -> None:
    from chalicelib.models.push_subscriptions import PushSubscription

    try:
        PushSubscription.get(f"{actor.role}#{actor.id}", subscription_id).delete()
    except PushSubscription.DoesNotExist:
        raise NotFound("this push subscription was not found", field="subscription_id") from None
