"""A helper's Stripe Connect payout account as payments reads and writes it (table ``helpers``:
``stripe_account_id``, ``payout_ready``, ``payout_status_at``; the rest of the helper is read only)."""
from __future__ import annotations

from chalicelib.store import current
from chalicelib.store._dynamo import _get, _record, _update
from chalicelib.store.records import PayoutAccountRecord


class PayoutAccounts:
    def _model(self):
        from chalicelib.models.helpers import Helper
        return Helper

    def get(self, helper_id: str, consistent: bool = False) -> PayoutAccountRecord | None:
        item = _get(self._model(), helper_id, consistent=consistent)
        return _record(PayoutAccountRecord, item) if item is not None else None

    def set_account(self, helper_id: str, account_id: str) -> None:
        """Keep the helper's Connect account; ``ConditionFailed`` if one is kept already."""
        Helper = self._model()
        _update(Helper(helper_id), actions=[Helper.stripe_account_id.set(account_id)],
                condition=Helper.stripe_account_id.does_not_exist() & Helper.helper_id.exists(),
                refused=f"helper {helper_id} has a payout account already")

    def set_payout_ready(self, helper_id: str, ready: bool, at: int) -> None:
        """Whether the account can be paid out, as Stripe said at ``at`` (event time); refused
        (``ConditionFailed``) if a newer answer was kept already."""
        Helper = self._model()
        _update(Helper(helper_id), actions=[Helper.payout_ready.set(ready), Helper.payout_status_at.set(at)],
                condition=Helper.payout_status_at.does_not_exist() | (Helper.payout_status_at <= at),
                refused=f"a newer payout status of helper {helper_id} was applied already")


_payout_accounts = PayoutAccounts()


def payout_accounts() -> PayoutAccounts:
    """The payout accounts repository in force (DynamoDB unless a test put a twin in place)."""
    return current("payout_accounts") or _payout_accounts
