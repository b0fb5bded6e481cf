"""The notifications log (``notifications``): one row per (event, recipient, channel), claimed
before a send so a redelivered event sends nothing twice, then holding the send's outcome."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _record
from chalicelib.store.records import NotificationLogRecord

SENDING = "sending"


class NotificationLog:
    def claim(self, row: NotificationLogRecord, *, stale_before: str) -> str | None:
        """Claim ``row``'s (event, recipient, channel). With status ``sending``: the claim's token
        (``row.claimed_at``) if this caller may send now (nobody did yet, the last try ``failed``,
        or a ``sending`` claim is older than ``stale_before``: its sender died), else None; the
        attempt is counted. Any other status records a final outcome that needs no send
        (``skipped``, ``undeliverable``), only where nothing was recorded yet."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.models.notification_log import RETENTION, NotificationLog as L
        from chalicelib.store.conditions import is_condition_failure

        actions = [L.tenant_id.set(row.tenant_id), L.event_id.set(row.event_id), L.event_type.set(row.event_type),
                   L.recipient_role.set(row.recipient_role), L.recipient_id.set(row.recipient_id),
                   L.channel.set(row.channel), L.language.set(row.language), L.title.set((row.title or "")[:200]),
                   L.status.set(row.status), L.created_at.set(L.created_at | row.created_at),
                   L.claimed_at.set(row.claimed_at), L.ttl.set(RETENTION)]
        if row.address:
            actions.append(L.address.set(row.address))
        if row.status == SENDING:
            actions.append(L.attempts.add(1))
            condition = (L.key.does_not_exist() | (L.status == "failed")
                         | ((L.status == SENDING) & (L.claimed_at < stale_before)))
        else:
            actions.append(L.error.set(row.error or row.status))
            condition = L.key.does_not_exist()
        try:
            L(row.scope, row.key).update(actions=actions, condition=condition)
            return row.claimed_at
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise

    def finish(self, scope: str, key: str, *, token: str, status: str, at: str | None = None,
               provider_id: str | None = None, error: str | None = None) -> bool:
        """Record an attempt's outcome, only while its own claim (``token``) is the current one and
        still ``sending``; False if a later attempt took over (a final state stays final). ``at``
        is the send time of a ``sent``."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.models.notification_log import NotificationLog as L
        from chalicelib.store.conditions import is_condition_failure

        actions = [L.status.set(status)]
        if status == "sent":
            actions += [L.sent_at.set(at), L.error.remove()]
        if provider_id:
            actions.append(L.provider_id.set(str(provider_id)[:200]))
        if error:
            actions.append(L.error.set(error[:500]))
        try:
            L(scope, key).update(actions=actions, condition=(L.status == SENDING) & (L.claimed_at == token))
            return True
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        return False

    def for_scope(self, scope: str) -> list[NotificationLogRecord]:
        """Every row of a booking (or of a recipient's booking-less events), in key order."""
        from chalicelib.models.notification_log import NotificationLog as L
        return [_record(NotificationLogRecord, r) for r in L.query(scope, consistent_read=True)]


_log = NotificationLog()


def notification_log() -> NotificationLog:
    """The notifications log in force (DynamoDB unless a test put a twin in place)."""
    return current("notification_log") or _log
