from pynamodb.attributes import UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class Staff(Model):
    """Operations staff. Only people listed here can sign in as ops (still by e-mailed code)."""

    class Meta(BaseMeta):
        table_name = table_name("staff")

    email = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute(default="ops")
    tenant_id = UnicodeAttribute(default="*")  # "*" = platform staff, else one tenant
    created_at = UnicodeAttribute()
