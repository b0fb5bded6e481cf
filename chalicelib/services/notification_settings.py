"""The signed-in person's notification settings (e-mail, SMS, language, quiet hours) and their
browsers' Web Push subscriptions."""
from __future__ import annotations

from chalicelib.domain import notifications as routing
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.ids import now_iso
from chalicelib.store.notification_prefs import notification_prefs
from chalicelib.store.push_subscriptions import push_subscriptions
from chalicelib.store.records import NotificationPrefsRecord, PushSubscriptionRecord
from chalicelib.services.notification_channels import host as _host, person as _person, prefs_of as _prefs, \
    subscriptions_of as _subscriptions


def get_prefs(actor: Actor) -> dict:
    p = _prefs(actor.role, actor.id)
    quiet = dict(p.quiet_hours) if p and p.quiet_hours else None
    from chalicelib.services.auth import verified_phone

    verified = verified_phone(actor.role, actor.id)
    return {"email": p.email if p else True, "sms": bool(p and p.sms), "phone": p.phone if p else None,
            "phone_verified": bool(p and p.phone and verified == p.phone),
            "language": p.language if p else None,
            **({"quiet_hours": quiet or dict(routing.DEFAULT_QUIET_HOURS)} if actor.role == "helper" else {})}


def save_prefs(actor: Actor, body) -> dict:
    if body.sms and not body.phone:
        person = _person({"role": actor.role, "id": actor.id})
        if not person["phone"]:
            raise ValidationFailed("give a mobile number to get text messages", field="phone")
    if body.quiet_hours is not None and actor.role != "helper":
        raise ValidationFailed("quiet hours are for helpers", field="quiet_hours")
    notification_prefs().put(NotificationPrefsRecord(
        owner=f"{actor.role}#{actor.id}", tenant_id=actor.tenant_id, email=body.email, sms=body.sms, phone=body.phone,
        language=body.language, quiet_hours=body.quiet_hours.model_dump() if body.quiet_hours else None,
        updated_at=now_iso()))
    return get_prefs(actor)


def _subscription_id(endpoint: str) -> str:
    import hashlib
    return "ps_" + hashlib.sha256(endpoint.encode()).hexdigest()[:24]


def register_subscription(actor: Actor, body) -> tuple[dict, bool]:
    """Store this browser's push subscription (one per device/endpoint). Returns (view, created)."""
    sid = _subscription_id(body.endpoint)
    owner = f"{actor.role}#{actor.id}"
    created = push_subscriptions().get(owner, sid) is None
    sub = PushSubscriptionRecord(owner=owner, subscription_id=sid, tenant_id=actor.tenant_id, endpoint=body.endpoint,
                                 p256dh=body.keys.p256dh, auth=body.keys.auth, device=body.device, created_at=now_iso())
    push_subscriptions().put(sub)
    return subscription_view(sub), created


def subscription_view(sub: PushSubscriptionRecord) -> dict:
    return {"subscription_id": sub.subscription_id, "device": sub.device, "push_service": _host(sub.endpoint),
            "created_at": sub.created_at}


def list_subscriptions(actor: Actor) -> list[dict]:
    return [subscription_view(s) for s in _subscriptions(actor.role, actor.id)]


def delete_subscription(actor: Actor, subscription_id: str) -> None:
    owner = f"{actor.role}#{actor.id}"
    if push_subscriptions().get(owner, subscription_id) is None:
        raise NotFound("this push subscription was not found", field="subscription_id")
    push_subscriptions().delete(owner, subscription_id)
