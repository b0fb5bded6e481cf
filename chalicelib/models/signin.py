from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class SignInCode(Model):
    """The one active sign-in code of an address (``<tenant>#<role>#<email>``), stored only as a
    hash. The record also counts, for its window: codes sent and wrong tries. Asking again
    replaces the code but keeps the counts; they start over only when the window has ended."""

    class Meta(BaseMeta):
        table_name = table_name("signin-codes")

    key = UnicodeAttribute(hash_key=True)  # "<tenant>#<role>#<email>"
    code_hash = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds: the current code
    attempts = NumberAttribute(default=0)  # tries (right or wrong) in this window
    sends = NumberAttribute(default=1)  # codes sent in this window
    last_sent_at = NumberAttribute(null=True)
    window_ends = NumberAttribute(null=True)  # epoch seconds: counts start over after this
    ip_key = UnicodeAttribute(null=True)  # the client-address counter this code was charged to
    ttl = TTLAttribute()


class SignInLimit(Model):
    """Codes asked from one client address in a fixed window and not (yet) used:
    ``ip#<address>#<window>``. Same table as the codes (no tenant id starts with "ip#")."""

    class Meta(BaseMeta):
        table_name = table_name("signin-codes")

    key = UnicodeAttribute(hash_key=True)
    outstanding = NumberAttribute(default=0)
    ttl = TTLAttribute()


class PhoneVerification(Model):
    """A person's mobile number for SMS: the number verified with a code (``verified_phone``) and a
    pending one with its code hash and counts (``phone#<role>#<id>``, same table as sign-in codes).
    SMS go only to ``verified_phone``; the item has no ttl once a number is verified."""

    class Meta(BaseMeta):
        table_name = table_name("signin-codes")

    key = UnicodeAttribute(hash_key=True)
    pending_phone = UnicodeAttribute(null=True)
    code_hash = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    attempts = NumberAttribute(default=0)
    sends = NumberAttribute(default=0)
    last_sent_at = NumberAttribute(null=True)
    window_ends = NumberAttribute(null=True)
    verified_phone = UnicodeAttribute(null=True)
    verified_at = NumberAttribute(null=True)
    ttl = TTLAttribute(null=True)
