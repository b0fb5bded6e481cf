"""Sign-in codes, client-address counters and phone verifications (``signin-codes``)."""
from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.store._dynamo import _fields, _get, _record, _update
from chalicelib.store import current
from chalicelib.store.conditions import ConditionFailed, is_condition_failure
from chalicelib.store.records import SignInCodeRecord, PhoneVerificationRecord


class SignIn:
    """Sign-in codes, per-client-address counters and phone verifications (one table,
    ``signin-codes``). Every update of a record that must exist says so: no half items."""

    @staticmethod
    def _code_model():
        from chalicelib.models.signin import SignInCode
        return SignInCode

    @staticmethod
    def _phone_model():
        from chalicelib.models.signin import PhoneVerification
        return PhoneVerification

    # e-mailed codes
    def code(self, key: str) -> SignInCodeRecord | None:
        SignInCode = self._code_model()
        item = _get(SignInCode, key, consistent=True)
        return _record(SignInCodeRecord, item) if item is not None else None

    def start_window(self, record: SignInCodeRecord, *, replacing: SignInCodeRecord | None, ttl: timedelta) -> None:
        """Write a fresh code and window over exactly what was read (nothing, or an old record)."""
        SignInCode = self._code_model()
        if replacing is None:
            condition = SignInCode.key.does_not_exist()
        elif replacing.code_hash is None:
            condition = SignInCode.code_hash.does_not_exist()
        else:
            condition = SignInCode.code_hash == replacing.code_hash
        try:
            SignInCode(**_fields(record), ttl=ttl).save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"sign-in code {record.key} changed since it was read") from None
            raise

    def resend(self, current: SignInCodeRecord, *, code_hash: str, expires_at: float, at: float, ip_key: str,
               ttl: timedelta) -> None:
        """A new code in the same window: the tries used stay; only if nothing changed since read."""
        SignInCode = self._code_model()
        _update(SignInCode(key=current.key),
                actions=[
                    SignInCode.code_hash.set(code_hash),
                    SignInCode.expires_at.set(expires_at),
                    SignInCode.last_sent_at.set(at),
                    SignInCode.sends.add(1),
                    SignInCode.ip_key.set(ip_key),
                    SignInCode.ttl.set(ttl),
                ],
                condition=SignInCode.key.exists()
                    & (SignInCode.sends == current.sends)
                    & (SignInCode.window_ends == current.window_ends),
                refused=f"sign-in code {current.key} changed since it was read")

    def take_try(self, key: str, *, max_attempts: int, now: float) -> SignInCodeRecord:
        """Count one try if the code exists, has tries left and has not expired; the record after it.
        ConditionFailed otherwise (nothing written)."""
        SignInCode = self._code_model()
        item = SignInCode(key=key)
        _update(item,
                actions=[SignInCode.attempts.add(1)],
                condition=SignInCode.key.exists()
                    & (SignInCode.attempts < max_attempts)
                    & (SignInCode.expires_at >= int(now)),
                refused=f"no try left for {key}")
        return _record(SignInCodeRecord, item)

    def use(self, record: SignInCodeRecord) -> None:
        """The code worked: remove it, once (ConditionFailed if it was used or replaced meanwhile)."""
        SignInCode = self._code_model()
        from pynamodb.exceptions import DeleteError
        try:
            SignInCode(key=record.key).delete(condition=SignInCode.code_hash == record.code_hash)
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"code {record.key} was already used") from None
            raise

    # per client address
    def charge_client(self, ip_key: str, *, limit: int, ttl: timedelta) -> bool:
        """One more unused code for this client address; False if it has ``limit`` already. The
        counter item is created by its first update (complete with count and ttl)."""
        from chalicelib.models.signin import SignInLimit
        try:
            SignInLimit(key=ip_key).update(
                actions=[SignInLimit.outstanding.add(1), SignInLimit.ttl.set(ttl)],
                condition=SignInLimit.outstanding.does_not_exist() | (SignInLimit.outstanding < limit))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def refund_client(self, ip_key: str) -> None:
        """A code was used (or not sent): one fewer outstanding; nothing if the hour is over."""
        from chalicelib.models.signin import SignInLimit
        try:
            SignInLimit(key=ip_key).update(actions=[SignInLimit.outstanding.add(-1)],
                                           condition=SignInLimit.key.exists() & (SignInLimit.outstanding > 0))
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def outstanding(self, ip_key: str) -> int:
        from chalicelib.models.signin import SignInLimit
        try:
            return int(SignInLimit.get(ip_key, consistent_read=True).outstanding or 0)
        except SignInLimit.DoesNotExist:
            return 0

    # phone numbers
    def phone(self, key: str) -> PhoneVerificationRecord | None:
        PV = self._phone_model()
        item = _get(PV, key, consistent=True)
        return _record(PhoneVerificationRecord, item) if item is not None else None

    def phone_code_sent(self, key: str, *, current: PhoneVerificationRecord | None, phone: str, code_hash: str,
                        expires_at: float, at: float, window: float, ttl: timedelta) -> None:
        """Record a code texted to ``phone``: a new record, a new code in the open window (tries
        kept), or a new window; each only over exactly what was read (ConditionFailed otherwise)."""
        PV = self._phone_model()
        try:
            if current is None:
                PV(key=key, pending_phone=phone, code_hash=code_hash, expires_at=expires_at, attempts=0, sends=1,
                   last_sent_at=at, window_ends=at + window, ttl=ttl).save(condition=PV.key.does_not_exist())
                return
            actions = [PV.pending_phone.set(phone), PV.code_hash.set(code_hash), PV.expires_at.set(expires_at),
                       PV.last_sent_at.set(at)]
            if current.window_ends is not None and current.window_ends > at:
                actions.append(PV.sends.add(1))
                condition = PV.key.exists() & (PV.sends == current.sends)
            else:
                actions += [PV.sends.set(1), PV.attempts.set(0), PV.window_ends.set(at + window)]
                condition = PV.key.exists() & (PV.window_ends.does_not_exist() if current.window_ends is None
                                               else PV.window_ends == current.window_ends)
            if current.verified_phone is None:
                actions.append(PV.ttl.set(ttl))
            PV(key=key).update(actions=actions, condition=condition)
        except (PutError, UpdateError) as exc:
            if is_condition_failure(exc):
                raise ConditionFailed(f"phone verification {key} changed since it was read") from None
            raise

    def phone_try(self, key: str, *, max_attempts: int, now: float) -> PhoneVerificationRecord:
        PV = self._phone_model()
        item = PV(key=key)
        _update(item,
                actions=[PV.attempts.add(1)],
                condition=PV.key.exists()
                    & PV.code_hash.exists()
                    & (PV.attempts < max_attempts)
                    & (PV.expires_at >= int(now)),
                refused=f"no phone try left for {key}")
        return _record(PhoneVerificationRecord, item)

    def phone_verified(self, record: PhoneVerificationRecord, at: float) -> PhoneVerificationRecord:
        """The pending number becomes the verified one, once (ConditionFailed if the code changed)."""
        PV = self._phone_model()
        item = PV(key=record.key)
        _update(item,
                actions=[
                    PV.verified_phone.set(record.pending_phone),
                    PV.verified_at.set(at),
                    PV.pending_phone.remove(),
                    PV.code_hash.remove(),
                    PV.expires_at.remove(),
                    PV.attempts.set(0),
                    PV.ttl.remove(),
                ],
                condition=PV.key.exists() & (PV.code_hash == record.code_hash),
                refused=f"phone code {record.key} was already used")
        return _record(PhoneVerificationRecord, item)


_signin = SignIn()


def signin() -> SignIn:
    """The signin repository in force (DynamoDB unless a test put a twin in place)."""
    return current("signin") or _signin
