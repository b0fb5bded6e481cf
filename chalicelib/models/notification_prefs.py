from pynamodb.attributes import BooleanAttribute, MapAttribute, UnicodeAttribute

from chalicelib.models.base import BaseMeta, Model, table_name


class NotificationPrefs(Model):
    """How a person wants to hear from us. Absent = defaults: e-mail on, SMS off, helpers' quiet
    hours 21:00-07:00 Europe/Zurich."""

    class Meta(BaseMeta):
        table_name = table_name("notification-prefs")

    owner = UnicodeAttribute(hash_key=True)  # "<role>#<id>"
    tenant_id = UnicodeAttribute()
    email = BooleanAttribute(default=True)
    sms = BooleanAttribute(default=False)
    phone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    quiet_hours = MapAttribute(null=True)  # {"start": "21:00", "end": "07:00", "tz": "Europe/Zurich"}
    updated_at = UnicodeAttribute()
