"""Each person's notification settings (``notification-prefs``)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _fields, _get, _record
from chalicelib.store.records import NotificationPrefsRecord


class NotificationPrefs:
    def get(self, owner: str) -> NotificationPrefsRecord | None:
        from chalicelib.models.notification_prefs import NotificationPrefs as P
        item = _get(P, owner, consistent=False)
        return _record(NotificationPrefsRecord, item) if item is not None else None

    def put(self, prefs: NotificationPrefsRecord) -> None:
        """Replace the person's settings with ``prefs`` (the whole set is chosen at once)."""
        from chalicelib.models.notification_prefs import NotificationPrefs as P
        P(**_fields(prefs)).save()


_prefs = NotificationPrefs()


def notification_prefs() -> NotificationPrefs:
    """The notification settings repository in force (DynamoDB unless a test put a twin in place)."""
    return current("notification_prefs") or _prefs
