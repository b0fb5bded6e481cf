"""The repository contract (tests/contract/store_contract.py) against DynamoDB Local: the same
tests the in-memory twins pass, so a twin that drifts from DynamoDB fails one of the two runs."""
import pytest

from chalicelib.store import Repos
from tests.contract.store_contract import (AttributionContract, BookingsContract, InvoiceContract,
                                           NotificationsContract, PaymentsContract, ReplayContract, StoreContract)
from tests.contract.store_contract import ErasureContract, PartnersContract


def dynamo_repos() -> Repos:
    """Every aggregate's DynamoDB repository, as the services' accessors return them."""
    from chalicelib.store import cards, claims, ledger, payments, payout_accounts
    from chalicelib.store import (bookings, failures, geo_hints, guards, helpers, offers, people, quality, ratings,
                                  reviews, signin, webhooks)
    from chalicelib.store import helper_index, notification_log, notification_prefs, push_subscriptions

    return Repos(reviews=reviews.reviews(), customer_ratings=reviews.customer_ratings(),
                 counters=ratings.counters(), quality=quality.quality(), helpers=helpers.helpers(),
                 bookings=bookings.bookings(), offers=offers.offers(), failures=failures.failures(),
                 guards=guards.guards(), geo_hints=geo_hints.geo_hints(), webhooks=webhooks.webhooks(),
                 signin=signin.signin(), people=people.people(),
                 payments=payments.payments(), ledger=ledger.ledger(), payout_accounts=payout_accounts.payout_accounts(),
                 cards=cards.cards(), claims=claims.Claims(),
                 notification_log=notification_log.notification_log(),
                 notification_prefs=notification_prefs.notification_prefs(),
                 push_subscriptions=push_subscriptions.push_subscriptions(),
                 helper_index=helper_index.helper_index(), replays=_replays(),
                 invoices=_invoices(), attribution=_attribution(), **_partners(),
                 helper_profiles=_helper_profiles())


def _partners() -> dict:
    """Issue 18: tenants, API keys and rate buckets."""
    from chalicelib.store.api_keys import api_keys, rate_buckets
    from chalicelib.store.helper_pools import helper_pools
    from chalicelib.store.partner_bookings import partner_bookings
    from chalicelib.store.tenants import tenants
    return {"tenants": tenants(), "api_keys": api_keys(), "rate_buckets": rate_buckets(),
            "helper_pools": helper_pools(), "partner_bookings": partner_bookings(), "erasure": _erasure()}


def _erasure():
    from chalicelib.store.erasure import erasure
    return erasure()


def _helper_profiles():
    from chalicelib.store.helper_profiles import helper_profiles
    return helper_profiles()


def _invoices():
    from chalicelib.store.invoices import invoices
    return invoices()


def _replays():
    from chalicelib.store.replays import replays
    return replays()


def _attribution():
    from chalicelib.store.attribution import attribution
    return attribution()


pytestmark = pytest.mark.integration


class DynamoWorld:
    def __init__(self):
        self.repos = dynamo_repos()

    def given_helper(self, helper):
        from chalicelib.models.helpers import Helper

        # a tenant of its own (contract-*), so no other test's booking is ever matched to it
        Helper(helper_id=helper.helper_id, tenant_id=helper.tenant_id, email=f"{helper.helper_id}@example.org",
               email_key=f"{helper.tenant_id}#{helper.helper_id}@example.org", name=f"{helper.first_name} Contract",
               first_name=helper.first_name, status=helper.status, tenant_status=f"{helper.tenant_id}#{helper.status}",
               skills=dict(helper.skills), qualifications=list(helper.qualifications),
               languages=list(helper.languages), city=helper.city, bio=helper.bio, photo_url=helper.photo_url,
               remote=helper.remote, rating_count=helper.rating_count, rating_sum=helper.rating_sum,
               lat=47.3769, lon=8.5417, service_radius_km=10, hourly_rate=6000,
               created_at="2026-11-30T10:00:00.000Z").save()

    def given_staff(self, staff):
        from chalicelib.models.staff import Staff

        Staff(email=staff.email, staff_id=staff.staff_id, name=staff.name, role=staff.role, tenant_id=staff.tenant_id,
              created_at="2026-11-30T10:00:00.000Z").save()

    def given_booking(self, facts):
        from chalicelib.models.bookings import Booking

        # no history: the bookings stream finds no transition in it, so no effect runs for it
        Booking(booking_id=facts.booking_id, tenant_id=facts.tenant_id, customer_id=facts.customer_id,
                helper_id=facts.helper_id, category="printer", description="contract", mode="remote",
                contact={"name": facts.contact_name} if facts.contact_name else {}, language=facts.language,
                state=facts.state, created_at=facts.updated_at, updated_at=facts.updated_at).save()

    def given_offer(self, offer):
        from dataclasses import asdict

        from chalicelib.models.offers import Offer

        Offer(**asdict(offer)).save()

    def given_helper_reach(self, reach):
        from chalicelib.models.helpers import Helper

        Helper(helper_id=reach.helper_id, tenant_id=reach.tenant_id, email=reach.email,
               email_key=f"{reach.tenant_id}#{reach.email}", name=f"{reach.first_name} Contract",
               first_name=reach.first_name, phone=reach.phone, languages=list(reach.languages), on_call=reach.on_call,
               off_duty=reach.off_duty, busy_with=reach.busy_with, lat=reach.lat, lon=reach.lon,
               payout_ready=reach.payout_ready, photo_url=reach.photo_url, rating_count=reach.rating_count,
               rating_sum=reach.rating_sum, remote=reach.remote, skills=dict(reach.skills), status=reach.status, tenant_status=f"{reach.tenant_id}#{reach.status}",
               hourly_rate=6000, created_at="2026-11-30T10:00:00.000Z").save()

    def given_helper_profile(self, p):
        from chalicelib.models.helpers import Helper

        # a tenant of its own, not active: no booking is ever matched to it
        Helper(helper_id=p.helper_id, tenant_id=p.tenant_id, email=p.email, email_key=f"{p.tenant_id}#{p.email}",
               name=p.name, first_name=p.first_name, phone=p.phone, bio=p.bio, photo_key=p.photo_key,
               photo_public=p.photo_public, skills=dict(p.skills), qualifications=list(p.qualifications), lat=p.lat,
               lon=p.lon, city=p.city, service_radius_km=p.service_radius_km, hourly_rate=p.hourly_rate,
               currency=p.currency, languages=list(p.languages), remote=p.remote, availability=dict(p.availability),
               on_call=p.on_call, off_duty=p.off_duty, status=p.status, tenant_status=f"{p.tenant_id}#{p.status}",
               rating_count=p.rating_count, rating_sum=p.rating_sum, offers_received=p.offers_received,
               created_at="2026-11-30T10:00:00.000Z").save()

    def given_payout_account(self, helper):
        from chalicelib.models.helpers import Helper

        # a tenant of its own with no status index key: no booking is ever matched to it
        Helper(helper_id=helper.helper_id, tenant_id=helper.tenant_id, email=helper.email,
               email_key=f"{helper.tenant_id}#{helper.email}", name=f"{helper.first_name} Contract",
               first_name=helper.first_name, status="applied", tenant_status=f"{helper.tenant_id}#applied",
               currency=helper.currency,
               hourly_rate=helper.hourly_rate, lat=47.3769, lon=8.5417, service_radius_km=10,
               created_at="2026-11-30T10:00:00.000Z").save()

    def given_card(self, card):
        from chalicelib.models.customers import Customer

        Customer(customer_id=card.customer_id, tenant_id=card.tenant_id, email=card.email, name=card.name,
                 email_key=f"{card.tenant_id}#{card.customer_id}@example.org",
                 created_at="2026-11-30T10:00:00.000Z").save()

    def given_person(self, p):  # erasure's read of a person's own row (a customer here)
        from chalicelib.models.customers import Customer

        assert p.kind == "customer"
        Customer(customer_id=p.person_id, tenant_id=p.tenant_id, email=p.email, email_key=f"{p.tenant_id}#{p.email}",
                 name=p.name, phone=p.phone, address=p.address, stripe_customer_id=p.stripe_customer_id,
                 default_payment_method=p.default_payment_method, created_at="2026-11-30T10:00:00.000Z").save()

    def given_whole_booking(self, b):
        from chalicelib.models.bookings import Booking

        # no history: the bookings stream finds no transition in it, so no effect runs for it
        Booking(booking_id=b.booking_id, tenant_id=b.tenant_id, customer_id=b.customer_id, helper_id=b.helper_id,
                category=b.category, description=b.description, mode=b.mode, price_cap=dict(b.price_cap),
                language=b.language, state=b.state, version=b.version, created_at=b.created_at,
                updated_at=b.updated_at, partner_id=b.partner_id, external_ref=b.external_ref,
                partner_ref=b.partner_ref, sandbox=b.sandbox, contact=dict(b.contact), location=b.location).save()


@pytest.fixture()
def world(stack):
    return DynamoWorld()


class TestDynamoStore(StoreContract, AttributionContract):
    pass


class TestDynamoPayments(PaymentsContract):
    pass


class TestDynamoReplays(ReplayContract):
    pass


class TestDynamoInvoices(InvoiceContract):
    pass


class TestDynamoNotificationsStore(NotificationsContract):
    pass


class TestDynamoPartnersStore(PartnersContract):
    pass


class TestDynamoErasureStore(ErasureContract):
    pass


class TestDynamoBookingsStore(BookingsContract):
    pass


def test_every_aggregate_has_a_dynamodb_repository():
    import dataclasses

    r = dynamo_repos()
    assert [f.name for f in dataclasses.fields(Repos) if f.name != "world" and getattr(r, f.name) is None] == []
