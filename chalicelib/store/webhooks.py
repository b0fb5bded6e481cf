"""Partner webhook endpoints and the delivery log (``webhook-endpoints``, ``webhook-deliveries``)."""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.store._dynamo import _create, _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import WebhookDeliveryRecord, WebhookEndpointRecord


def _endpoint(item) -> WebhookEndpointRecord:
    events = item.events.as_dict() if hasattr(item.events, "as_dict") else dict(item.events or {})
    return WebhookEndpointRecord(tenant_id=item.tenant_id, endpoint_id=item.endpoint_id, url=item.url,
                                 secret=item.secret, created_at=item.created_at,
                                 events=tuple(sorted(k for k, v in events.items() if v)),
                                 description=item.description, status=item.status or "enabled",
                                 environment=item.environment or "live")


class Webhooks:
    """Partner webhook endpoints and their delivery log (``models.partners``)."""

    @staticmethod
    def _models():
        from chalicelib.models.partners import WebhookDelivery, WebhookEndpoint
        return WebhookEndpoint, WebhookDelivery

    # endpoints
    def add_endpoint(self, ep: WebhookEndpointRecord) -> None:
        WebhookEndpoint, _ = self._models()
        item = WebhookEndpoint(tenant_id=ep.tenant_id, endpoint_id=ep.endpoint_id, url=ep.url, secret=ep.secret,
                               events={e: True for e in ep.events}, description=ep.description, status=ep.status,
                               created_at=ep.created_at, environment=None if ep.environment == "live" else ep.environment)
        _create(item, WebhookEndpoint.endpoint_id)

    def endpoints(self, tenant_id: str) -> list[WebhookEndpointRecord]:
        WebhookEndpoint, _ = self._models()
        return [_endpoint(item) for item in WebhookEndpoint.query(tenant_id, consistent_read=True)]

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpointRecord | None:
        WebhookEndpoint, _ = self._models()
        try:
            return _endpoint(WebhookEndpoint.get(tenant_id, endpoint_id, consistent_read=True))
        except WebhookEndpoint.DoesNotExist:
            return None

    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        WebhookEndpoint, _ = self._models()
        WebhookEndpoint(tenant_id, endpoint_id).delete()

    # deliveries
    def add_delivery(self, d: WebhookDeliveryRecord) -> None:
        _, WebhookDelivery = self._models()
        _create(WebhookDelivery(**_fields(d)), WebhookDelivery.message_id)

    def delivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord | None:
        _, WebhookDelivery = self._models()
        item = _get(WebhookDelivery, endpoint_id, message_id, consistent=True)
        return _record(WebhookDeliveryRecord, item) if item is not None else None

    def deliveries(self, endpoint_id: str, limit: int) -> list[WebhookDeliveryRecord]:
        return self.deliveries_page(endpoint_id, limit)[0]

    def deliveries_page(self, endpoint_id: str, limit: int,
                        after: str | None = None) -> tuple[list[WebhookDeliveryRecord], str | None]:
        """One page of an endpoint's delivery log (by message id, descending) and the message id to
        continue after (None on the last page)."""
        _, WebhookDelivery = self._models()
        start = {"endpoint_id": {"S": endpoint_id}, "message_id": {"S": after}} if after else None
        result = WebhookDelivery.query(endpoint_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        rows = [_record(WebhookDeliveryRecord, row) for row in result]
        last = result.last_evaluated_key
        return rows, (last["message_id"]["S"] if last and len(rows) == limit else None)

    def reset_for_redelivery(self, endpoint_id: str, message_id: str) -> WebhookDeliveryRecord:
        """Pending again, with a fresh retry window (``first_attempt_at`` removed)."""
        _, WebhookDelivery = self._models()
        item = WebhookDelivery(endpoint_id, message_id)
        _update(item,
                actions=[WebhookDelivery.status.set("pending"), WebhookDelivery.first_attempt_at.remove()],
                condition=WebhookDelivery.message_id.exists(),
                refused=f"delivery {message_id} is not in the log")
        return _record(WebhookDeliveryRecord, item)

    def claim_attempt(self, endpoint_id: str, message_id: str, *, final_states: tuple[str, ...] = ()) -> int | None:
        """Count one attempt atomically and return its number; None if the delivery is gone or in
        one of ``final_states``."""
        _, WebhookDelivery = self._models()
        item = WebhookDelivery(endpoint_id, message_id)
        condition = WebhookDelivery.message_id.exists()
        if final_states:
            condition &= ~WebhookDelivery.status.is_in(*final_states)
        try:
            item.update(actions=[WebhookDelivery.attempts.add(1)], condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return int(item.attempts)

    def record_attempt(self, endpoint_id: str, message_id: str, attempt: int, entry: dict, *,
                       status_code: int | None, error: str | None, first_attempt_at: float | None = None,
                       new_status: str | None = None, delivered_at: str | None = None,
                       unless_status: tuple[str, ...] = ()) -> bool:
        """Log attempt ``attempt`` and its outcome. The outcome (status, codes, times) is written
        only if the delivery is not in one of ``unless_status``; if a concurrent outcome won, only
        the log line is kept and False is returned."""
        _, WebhookDelivery = self._models()
        log_line = WebhookDelivery.attempt_log[str(attempt)].set(entry)
        actions = [log_line,
                   WebhookDelivery.last_status_code.set(status_code) if status_code is not None
                   else WebhookDelivery.last_status_code.remove(),
                   WebhookDelivery.last_error.set(error) if error else WebhookDelivery.last_error.remove()]
        if first_attempt_at is not None:
            actions.append(WebhookDelivery.first_attempt_at.set(first_attempt_at))
        if new_status is not None:
            actions.append(WebhookDelivery.status.set(new_status))
        if delivered_at is not None:
            actions.append(WebhookDelivery.delivered_at.set(delivered_at))
        condition = WebhookDelivery.message_id.exists()
        if unless_status:
            condition &= ~WebhookDelivery.status.is_in(*unless_status)
        try:
            WebhookDelivery(endpoint_id, message_id).update(actions=actions, condition=condition)
            return True
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        try:  # the outcome lost, but the attempt's log line is kept
            WebhookDelivery(endpoint_id, message_id).update(actions=[log_line],
                                                            condition=WebhookDelivery.message_id.exists())
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
        return False


_webhooks = Webhooks()


def webhooks() -> Webhooks:
    """The webhooks repository in force (DynamoDB unless a test put a twin in place)."""
    return current("webhooks") or _webhooks
