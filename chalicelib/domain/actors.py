"""Who is calling. Built from a verified token (or by the platform itself for ``system``)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    role: str  # customer | helper | ops | partner | system
    id: str
    tenant_id: str
    key_id: str | None = None  # the API key a partner called with (scopes its Idempotency-Keys)

    @property
    def is_platform_ops(self) -> bool:
        return self.role == "ops" and self.tenant_id == "*"

    def may_see_tenant(self, tenant_id: str) -> bool:
        return self.tenant_id in ("*", tenant_id)


SYSTEM_ACTOR = Actor("system", "crowdfix", "*")
