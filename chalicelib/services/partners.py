"""Partner use cases: tenants, API keys (with per-key rate limits), the partner booking API,
helper discovery within the partner's pool, and the commission report.

Who may do what:
- platform ops (Actor role "ops", tenant "*") create and manage every tenant;
- a partner's admin (staff role "partner_admin", signs in by e-mailed code) manages its own tenant;
- a partner's server (Actor role "partner" from an API key) uses the partner API for its tenant only.
Anything of another tenant answers 404, so ids of other tenants are not revealed.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from chalicelib.domain import partners as dp
from chalicelib.domain.actors import Actor
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthenticated, ValidationFailed
from chalicelib.domain.geo import haversine_km
from chalicelib.domain.ids import new_id, now_iso
from chalicelib.services import tenants as tenant_svc
from chalicelib.store.api_keys import api_keys, rate_buckets
from chalicelib.store.conditions import AlreadyExists, ConditionFailed
from chalicelib.store.records import ApiKeyRecord, PoolHelperRecord, RateBucketRecord, TenantRecord
from chalicelib.store.tenants import tenants


def _plain(attr):
    return attr.as_dict() if attr is not None and hasattr(attr, "as_dict") else attr


# ---------------------------------------------------------------------------------------------
# who may manage a tenant

def check_tenant_admin(actor: Actor, tenant_id: str, *, allow_partner_key: bool = False) -> None:
    """Platform ops, this tenant's partner admin (or, where allowed, this tenant's API key)."""
    if actor.role == "ops" and actor.is_platform_ops:
        return
    if actor.role == "partner_admin" and actor.tenant_id == tenant_id:
        return
    if actor.role == "partner" and actor.tenant_id == tenant_id:
        if allow_partner_key:
            return
        raise Forbidden("API keys cannot do this; sign in as the partner's administrator")
    if actor.role in ("ops", "partner_admin", "partner"):
        raise NotFound(f"tenant {tenant_id} was not found", field="tenant_id")
    raise Forbidden("this is for the partner's administrators and crowdfix operations")


# ---------------------------------------------------------------------------------------------
# tenants

def tenant_view(tenant: TenantRecord) -> dict:
    settings = _plain(tenant.settings) or {}
    branding = {**dp.Branding().model_dump(mode="json"), **(_plain(tenant.branding) or {})}
    return {
        "tenant_id": tenant.tenant_id, "name": tenant.name, "locale": tenant.locale, "currency": tenant.currency,
        "branding": branding,
        "landing": {**dp.LandingCopy().model_dump(mode="json"), **(settings.get("landing") or {})},
        "pricing": {**dp.PricingPolicy().model_dump(mode="json"), **(settings.get("pricing") or {})},
        "billing_model": settings.get("billing_model", dp.TENANT_DEFAULTS["billing_model"]),
        "helper_pool": settings.get("helper_pool", dp.TENANT_DEFAULTS["helper_pool"]),
        "country": settings.get("country"),
        "matching": {**dp.MatchingSettings().model_dump(mode="json"), **(settings.get("matching") or {})},
        "rate_limit": {**dp.RateLimit().model_dump(mode="json"), **(settings.get("rate_limit") or {})},
        "api_keys_max": int(settings.get("api_keys_max") or dp.DEFAULT_API_KEYS),
        "widget_origins": list(settings.get("widget_origins") or []),
        "created_at": tenant.created_at,
    }


def create_tenant(actor: Actor, request: dp.CreateTenant) -> TenantRecord:
    if not actor.is_platform_ops:
        raise Forbidden("only crowdfix operations create tenants")
    tenant = TenantRecord(tenant_id=request.tenant_id, name=request.name,
                          locale=request.locale or dp.TENANT_DEFAULTS["locale"],
                          currency=request.currency or dp.TENANT_DEFAULTS["currency"],
                          branding=(request.branding or dp.Branding()).model_dump(mode="json"),
                          settings=dp.tenant_settings_from(request), created_at=now_iso())
    try:
        tenants().add(tenant)
    except AlreadyExists:
        raise Conflict(f"tenant {request.tenant_id} exists already; choose another id", field="tenant_id") from None
    tenant_svc.clear_cache()
    return tenant


def get_tenant_for(actor: Actor, tenant_id: str) -> TenantRecord:
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    tenant = tenants().get(tenant_id, consistent=True)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} was not found", field="tenant_id")
    return tenant


def check_commercial_terms(actor: Actor, request: dp.TenantFields, tenant: TenantRecord) -> None:
    """Commercial terms (``dp.COMMERCIAL_FIELDS`` and the dispatch reach) are set by platform ops
    only; a partner's admin may send them unchanged (e.g. echoing what it read) but not change them."""
    if actor.is_platform_ops:
        return
    view = tenant_view(tenant)
    data = request.model_dump(mode="json", exclude_none=True)
    changed = [f for f in dp.COMMERCIAL_FIELDS if f in data and data[f] != view.get(f)]
    if request.matching is not None:
        for f in dp.COMMERCIAL_MATCHING_FIELDS:
            if f in request.matching.model_fields_set and data["matching"][f] != view["matching"].get(f):
                changed.append(f"matching.{f}")
    if changed:
        raise Forbidden(f"only crowdfix operations change commercial terms ({', '.join(changed)}); "
                        "ask your crowdfix contact", field=changed[0])


def update_tenant(actor: Actor, tenant_id: str, request: dp.UpdateTenant) -> TenantRecord:
    tenant = get_tenant_for(actor, tenant_id)
    if actor.role == "partner":
        raise Forbidden("API keys cannot change the tenant; sign in as the partner's admin")
    current = _plain(tenant.settings) or {}
    request = merge_patch(request, tenant_view(tenant))
    check_commercial_terms(actor, request, tenant)
    if request.matching is not None and "radius_widening_km" not in request.matching.model_fields_set:
        # a section replaces the section: keep the ops-set reach when the admin did not name it
        kept = (current.get("matching") or {}).get("radius_widening_km")
        if kept is not None:
            request = request.model_copy(update={"matching": request.matching.model_copy(
                update={"radius_widening_km": list(kept)})})
    changes = {name: getattr(request, name) for name in ("name", "locale", "currency")
               if getattr(request, name) is not None}
    if request.branding is not None:
        changes["branding"] = request.branding.model_dump(mode="json")
    changes["settings"] = dp.tenant_settings_from(request, dict(tenant.settings))
    try:
        tenant = tenants().update(tenant_id, changes)
    except ConditionFailed:
        raise NotFound(f"tenant {tenant_id} was not found", field="tenant_id") from None
    tenant_svc.clear_cache()
    return tenant


MERGED_SECTIONS = ("branding", "landing", "pricing", "matching", "rate_limit")


def merge_patch(request: dp.UpdateTenant, view: dict) -> dp.UpdateTenant:
    """JSON merge patch (RFC 7396) of the tenant's sections: a section names only what changes and
    is merged into what the tenant has field by field; a field sent as null is removed (back to its
    default). A section not sent stays as it is."""
    update = {}
    for name in MERGED_SECTIONS:
        section = getattr(request, name)
        if section is None:
            continue
        merged = dict(view.get(name) or {})
        sent = section.model_dump(mode="json")
        for key in section.model_fields_set:
            if sent.get(key) is None:
                merged.pop(key, None)
            else:
                merged[key] = sent[key]
        update[name] = type(section).model_validate({k: v for k, v in merged.items() if k in type(section).model_fields})
    return request.model_copy(update=update) if update else request


def add_partner_admin(actor: Actor, tenant_id: str, request: dp.CreatePartnerAdmin) -> dict:
    """Platform ops name a partner's administrator; they then sign in by e-mailed code with role
    ``partner_admin``. An e-mail that is already staff elsewhere is refused."""
    from chalicelib.store.people import people
    from chalicelib.store.records import StaffRecord

    if not actor.is_platform_ops:
        raise Forbidden("only crowdfix operations add partner administrators")
    tenant_svc.get_tenant(tenant_id)
    staff = StaffRecord(email=request.email, staff_id=new_id("s"), name=request.name, role="partner_admin",
                        tenant_id=tenant_id)
    try:
        people().add_staff(staff, created_at=now_iso())
    except AlreadyExists:
        raise Conflict("this e-mail already belongs to a staff account", field="email") from None
    return {"staff_id": staff.staff_id, "email": staff.email, "name": staff.name, "role": staff.role,
            "tenant_id": tenant_id}


# ---------------------------------------------------------------------------------------------
# API keys

def key_view(key: ApiKeyRecord) -> dict:
    return {"key_id": key.key_id, "name": key.name, "prefix": key.prefix, "environment": key.environment,
            "status": key.status,
            "rate_limit": {"requests_per_second": float(key.rate_per_second), "burst": int(key.burst)},
            "created_at": key.created_at, "last_used_at": key.last_used_at, "revoked_at": key.revoked_at}


def create_api_key(actor: Actor, tenant_id: str, request: dp.CreateApiKey) -> tuple[ApiKeyRecord, str]:
    """A new key; returns ``(record, secret)``. The secret is not stored and cannot be shown again."""
    check_tenant_admin(actor, tenant_id)
    tenant_svc.get_tenant(tenant_id)
    if request.rate_limit is not None and not actor.is_platform_ops:
        raise Forbidden("only crowdfix operations set a key's rate limit; new keys get the tenant's",
                        field="rate_limit")
    policy = tenant_svc.tenant_policy(tenant_id)
    most = int(policy.get("api_keys_max") or dp.DEFAULT_API_KEYS)
    limit = request.rate_limit or dp.RateLimit(**(policy.get("rate_limit") or {}))
    _take_key_slot(tenant_id, most)
    try:
        return _issue_key(actor, tenant_id, request.name, request.environment, limit)
    except Exception:
        _give_key_slot(tenant_id)
        raise


def _take_key_slot(tenant_id: str, most: int) -> None:
    """Count one more active key on the tenant: a conditional ADD that never passes ``most``, so
    any number of concurrent creations together stay within the limit."""
    repo = tenants()
    for _ in range(3):
        try:
            repo.take_key_slot(tenant_id, most)
            return
        except ConditionFailed:
            pass
        tenant = repo.get(tenant_id, consistent=True)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} is not known", field="tenant")
        if tenant.api_keys_active is not None:
            raise Conflict(f"this tenant has {int(tenant.api_keys_active)} active API keys, the most it may have "
                           f"({most}); revoke one first or ask crowdfix for more", field="api_keys_max")
        # a tenant from before the counter: start it once from its active keys
        active = sum(1 for k in api_keys().of_tenant(tenant_id) if k.status == "active")
        try:
            repo.start_key_count(tenant_id, active)
        except ConditionFailed:
            pass  # a concurrent creation started it: take a slot from its count
    raise Conflict("API keys of this tenant are changing right now; try again in a moment", field="api_keys_max")


def _give_key_slot(tenant_id: str) -> None:
    tenants().give_key_slot(tenant_id)  # False: already at 0 (a counter started after this key was made)


def _issue_key(actor: Actor, tenant_id: str, name: str, environment: str, limit: dp.RateLimit,
               replaces: ApiKeyRecord | None = None) -> tuple[ApiKeyRecord, str]:
    """Store a new key. With ``replaces`` the old key is revoked in the same transaction (only if
    it is still active), so one key replaces one and the count stays as it is."""
    secret, prefix, digest = dp.new_api_key(environment)
    key = ApiKeyRecord(key_hash=digest, key_id=new_id("key"), tenant_id=tenant_id, name=name, prefix=prefix,
                       environment=environment, status="active", rate_per_second=limit.requests_per_second,
                       burst=limit.burst, created_by=f"{actor.role}:{actor.id}", created_at=now_iso())
    if replaces is None:
        api_keys().add(key)
        return key, secret
    try:
        api_keys().replace(key, replaces, at=now_iso())
    except ConditionFailed:
        raise Conflict("this key is revoked; create a new key instead", field="key_id") from None
    return key, secret


def list_api_keys(actor: Actor, tenant_id: str) -> list[ApiKeyRecord]:
    check_tenant_admin(actor, tenant_id)
    return api_keys().of_tenant(tenant_id)


def _key_by_id(tenant_id: str, key_id: str) -> ApiKeyRecord:
    key = api_keys().by_id(tenant_id, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} was not found", field="key_id")
    return key


def revoke_api_key(actor: Actor, tenant_id: str, key_id: str) -> ApiKeyRecord:
    check_tenant_admin(actor, tenant_id)
    key = _key_by_id(tenant_id, key_id)
    if key.status != "revoked":
        try:
            key = api_keys().revoke(key, at=now_iso())
        except ConditionFailed:
            return api_keys().get(key.key_hash, consistent=True)  # a concurrent revoke won: count once
        _give_key_slot(tenant_id)
    return key


def rotate_api_key(actor: Actor, tenant_id: str, key_id: str) -> tuple[ApiKeyRecord, str]:
    """Replace a key: a new secret with the same name, environment and limits; the old one is
    revoked in the same transaction (one key for one: the count does not change)."""
    check_tenant_admin(actor, tenant_id)
    old = _key_by_id(tenant_id, key_id)
    if old.status == "revoked":
        raise Conflict("this key is revoked; create a new key instead", field="key_id")
    return _issue_key(actor, tenant_id, old.name, old.environment,
                      dp.RateLimit(requests_per_second=float(old.rate_per_second), burst=int(old.burst)), replaces=old)


def actor_for_api_key(secret: str) -> tuple[Actor, str]:
    """The partner behind an API key, after its rate limit. Returns ``(actor, environment)``."""
    if not dp.looks_like_api_key(secret):
        raise Unauthenticated("this API key is not valid")
    key = api_keys().get(dp.hash_api_key(secret))
    if key is None:
        raise Unauthenticated("this API key is not valid")
    if key.status != "active":
        raise Unauthenticated("this API key was revoked; use a current key")
    allowed, wait = take_rate_token(key.key_id, key.tenant_id, float(key.rate_per_second), int(key.burst))
    if not allowed:
        raise RateLimited(f"the rate limit of this key is {float(key.rate_per_second):g} requests per second "
                          f"(bursts of {int(key.burst)}); retry later", retry_after=max(1, int(wait + 0.999)))
    return Actor(role="partner", id=key.tenant_id, tenant_id=key.tenant_id, key_id=key.key_id), key.environment


def take_rate_token(bucket_id: str, tenant_id: str, rate: float, burst: int,
                    now: float | None = None) -> tuple[bool, float]:
    """Take one token from a key's bucket in DynamoDB. Every write is conditional on the values
    read, so concurrent requests never both spend the same token. Returns ``(allowed, wait_seconds)``."""
    repo = rate_buckets()
    for _ in range(6):
        t = time.time() if now is None else now
        bucket = repo.get(bucket_id)
        if bucket is None:
            try:
                repo.start(RateBucketRecord(bucket_id=bucket_id, tenant_id=tenant_id, tokens=float(burst) - 1.0,
                                            updated_at=t))
                return True, 0.0
            except AlreadyExists:
                continue
        allowed, tokens, wait = dp.take_token(float(bucket.tokens), float(bucket.updated_at), t, rate, burst)
        if not allowed:
            return False, wait
        try:
            repo.spend(bucket, tokens, max(t, float(bucket.updated_at)))
            return True, 0.0
        except ConditionFailed:
            continue  # someone else spent a token in between: read again
    return False, 1.0 / rate


# ---------------------------------------------------------------------------------------------
# quote, availability, helpers

def _pool_helpers(tenant_id: str, query: dp.PlaceQuery) -> list[tuple[PoolHelperRecord, float | None, int]]:
    from chalicelib.store.helper_pools import helper_pools

    if query.mode == "onsite" and (query.lat is None or query.lon is None):
        raise ValidationFailed("an on-site quote needs the place: lat and lon", field="lat")
    found = []
    for pool_tenant in tenant_svc.pool_tenants(tenant_id):
        for helper in helper_pools().with_status(pool_tenant, "active"):
            level = int((helper.skills or {}).get(query.category, 0))
            if level <= 0 or helper.off_duty:
                continue
            km = None
            if query.mode == "onsite":
                km = haversine_km(query.lat, query.lon, float(helper.lat), float(helper.lon))
                if km > float(helper.service_radius_km):
                    continue
            elif not helper.remote or query.language not in (helper.languages or []):
                continue
            found.append((helper, km, level))
    found.sort(key=lambda f: (f[1] or 0.0, -f[2]))
    return found


def quote(actor: Actor, query: dp.PlaceQuery) -> dict:
    """The one price: what a job of ``query.minutes`` settles at, from the very function and inputs
    settlement uses (the tenant's tariff, time blocks after the minimum, the call-out fee on site,
    never above the default price cap; no tip, no parts)."""
    tenant = tenant_svc.get_tenant(actor.tenant_id)
    helpers = _pool_helpers(actor.tenant_id, query)
    priced = quote_price(actor.tenant_id, query.mode, query.minutes, tenant.currency)
    return {"category": query.category, "mode": query.mode, **priced, "available_helpers": len(helpers),
            "earliest": "now" if any(h.on_call for h, _, _ in helpers) else ("today" if helpers else None)}


def quote_price(tenant_id: str, mode: str, minutes: int, currency: str) -> dict:
    from chalicelib.domain.pricing import hourly_rate_of, total_of, visit_line_items

    pol = tenant_svc.tenant_policy(tenant_id)
    rate = hourly_rate_of(None, pol, mode)
    cap = int(pol["default_price_cap_minor"])
    items = visit_line_items(pol, mode=mode, minutes=minutes, currency=currency, limit=cap)  # settlement's function
    return {"line_items": [i.as_dict() for i in items], "total": {"amount": total_of(items), "currency": currency},
            "hourly_rate": {"amount": rate, "currency": currency}, "minutes": int(minutes),
            "price_cap": {"amount": cap, "currency": currency}}


def discover_helpers(actor: Actor, query: dp.PlaceQuery, limit: int = 20) -> list[dict]:
    """Helpers of the partner's pool who could take this job: public profile only (no contact,
    no exact home location)."""
    tenant = tenant_svc.get_tenant(actor.tenant_id)
    out = []
    for helper, km, level in _pool_helpers(actor.tenant_id, query)[:limit]:
        count = int(helper.rating_count or 0)
        out.append({"helper_id": helper.helper_id, "first_name": helper.first_name, "city": helper.city,
                    "distance_km": round(km, 1) if km is not None else None, "skill_level": level,
                    "languages": list(helper.languages or []), "remote": bool(helper.remote),
                    "rating": {"average": round(float(helper.rating_sum) / count, 1) if count else None,
                               "count": count},
                    "hourly_rate": {"amount": int(helper.hourly_rate), "currency": helper.currency or tenant.currency}})
    return out


# ---------------------------------------------------------------------------------------------
# bookings

def create_booking(actor: Actor, environment: str, request: dp.PartnerCreateBooking,
                   idempotency_key: str | None) -> tuple[Any, bool]:
    from chalicelib.services.auth import ensure_customer
    from chalicelib.services.bookings import create_booking as create

    if request.payment is not None:
        raise ValidationFailed("a partner cannot hold its customer's card; the customer adds the card on the booking "
                               "page, or the tenant is billed by invoice", field="payment")
    customer = ensure_customer(actor.tenant_id, request.customer.email, name=request.customer.name,
                               language=request.language)
    extra = {"partner_id": actor.tenant_id, "external_ref": request.external_ref,
             "partner_ref": f"{actor.tenant_id}#{request.external_ref}",
             "affiliate_code": request.affiliate_code, "campaign": request.campaign,
             "sandbox": "test" if environment == "test" else None}
    # an Idempotency-Key is the calling key's, in its mode: a test key never gets a live booking back
    scoped = f"{environment}#{actor.key_id}#{idempotency_key}" if idempotency_key else None
    return create(actor, request, scoped, customer_id=customer.customer_id, extra_fields=extra)


def list_bookings(actor: Actor, *, state: str | None = None, external_ref: str | None = None, limit: int = 20,
                  cursor: str | None = None, environment: str = "live") -> tuple[list[Any], str | None]:
    """The partner's bookings, newest first. A page may hold fewer than ``limit`` items when a
    state filter is given; follow ``next_cursor`` until it is null."""
    from chalicelib.services.bookings import _decode_cursor, _encode_cursor
    from chalicelib.store.partner_bookings import BadCursor, partner_bookings

    last_key = _decode_cursor(cursor)
    try:
        items, last = partner_bookings().page(actor.tenant_id, external_ref=external_ref, limit=limit, after=last_key)
    except BadCursor:
        # a cursor only continues the same listing of the same tenant
        raise ValidationFailed("the cursor is not valid for this listing; start again without it",
                               field="cursor") from None
    items = [b for b in items if b.tenant_id == actor.tenant_id and b.partner_id == actor.tenant_id
             and (state is None or b.state == state)
             and (b.sandbox == "test") == (environment == "test")]  # test keys see test bookings only
    return items, _encode_cursor(last)


def partner_booking_for(actor: Actor, environment: str, booking_id: str) -> Any:
    """A booking of the partner in the key's environment (a live key never sees a test booking
    nor the other way round: 404 as for another tenant's)."""
    from chalicelib.services.bookings import get_booking_for

    booking = get_booking_for(actor, booking_id)
    if (booking.sandbox == "test") != (environment == "test"):
        raise NotFound(f"booking {booking_id} was not found", field="booking_id")
    return booking


def partner_booking_view(booking: Any, actor: Actor) -> dict:
    from chalicelib.services.views import booking_view

    view = booking_view(booking, actor)
    view.update(external_ref=booking.external_ref, affiliate_code=booking.affiliate_code,
                campaign=booking.campaign, sandbox=booking.sandbox == "test")
    return view


# ---------------------------------------------------------------------------------------------
# commission report

def commission_report(actor: Actor, tenant_id: str, period: str) -> dict:
    """Completed partner bookings of a month (``YYYY-MM``, by creation time), their gross amount
    and the partner's share, in total and by affiliate code and campaign. Each booking counts by
    the terms copied onto it when it was made (``Booking.terms``); ``partner_share_percent`` at the
    top is the tenant's current share, shown for reference."""
    check_tenant_admin(actor, tenant_id, allow_partner_key=True)
    try:
        datetime.strptime(period, "%Y-%m")
    except ValueError:
        raise ValidationFailed("period must be a month like 2026-11", field="period") from None
    tenant = tenant_svc.get_tenant(tenant_id)
    pricing = tenant_view(tenant)["pricing"]
    share = int(pricing["partner_share_percent"])
    from chalicelib.store.partner_bookings import partner_bookings

    rows, totals = [], {"bookings": 0, "gross": 0, "commission": 0}
    groups: dict[tuple, dict] = {}
    unpaid = 0
    for booking in partner_bookings().in_month(tenant_id, period):
        if booking.state != "completed" or booking.partner_id != tenant_id or booking.sandbox == "test":
            continue
        # what was actually charged (card) or invoiced, and the partner's share, from the ledger
        # (booked by the terms copied onto the booking); a visit nobody paid counts nothing
        terms = (_plain(booking.terms) or {}).get("pricing") or pricing
        gross, commission = _booked(booking.booking_id)
        if gross == 0 and commission == 0:
            unpaid += 1
            continue
        rows.append({"booking_id": booking.booking_id, "external_ref": booking.external_ref,
                     "affiliate_code": booking.affiliate_code, "campaign": booking.campaign,
                     "completed_at": booking.updated_at, "gross": gross, "commission": commission,
                     "partner_share_percent": int(terms["partner_share_percent"])})
        totals["bookings"] += 1
        totals["gross"] += gross
        totals["commission"] += commission
        g = groups.setdefault((booking.affiliate_code, booking.campaign),
                              {"affiliate_code": booking.affiliate_code, "campaign": booking.campaign,
                               "bookings": 0, "gross": 0, "commission": 0})
        g["bookings"] += 1
        g["gross"] += gross
        g["commission"] += commission
    rows.sort(key=lambda r: r["completed_at"])
    return {"tenant_id": tenant_id, "period": period, "currency": tenant.currency,
            "partner_share_percent": share, "totals": totals, "unpaid_bookings": unpaid,
            "by_attribution": sorted(groups.values(), key=lambda g: (g["affiliate_code"] or "", g["campaign"] or "")),
            "bookings": rows, "attribution": _attribution_report(tenant_id),
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _attribution_report(tenant_id: str) -> dict:
    """Visits, widget opens, bookings started/completed and calls per campaign (all time, issue 17.7)."""
    from chalicelib.services.attribution import report
    return report(tenant_id)


def _booked(booking_id: str) -> tuple[int, int]:
    """``(gross, commission)`` of a booking as the ledger holds them: captured from the card or
    invoiced to the partner, and the partner's share (refunds taken off). Read here from the
    ledger's store (not through services.payments, so this module's reach stays narrow)."""
    from chalicelib.domain import ledger as L
    from chalicelib.store.ledger import ledger, movements_of

    movements = movements_of(ledger().of_booking(booking_id))
    s = L.booking_summary(movements)
    return s["captured"] + s["invoiced"] - s["refunded"], s["partner_share"]
