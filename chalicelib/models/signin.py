from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class SignInCode(Model):
    """A one-time sign-in code, stored only as a hash; expires and allows few attempts."""

    class Meta(BaseMeta):
        table_name = table_name("signin-codes")

    key = UnicodeAttribute(hash_key=True)  # "<tenant>#<role>#<email>"
    code_hash = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds
    attempts = NumberAttribute(default=0)
    ttl = TTLAttribute()
