"""The HTTP edge: route declarations (``edge.py``) with who may call (``auth.py``), the shared input
types (``types.py``), problem responses (``problems.py``), bodies (``body.py``), cursors, the
response models (``models.py``) and the OpenAPI document generated from it all (``openapi.py``).
Importing this package loads no pydantic (``tests/unit/test_cold_start_imports.py``)."""
from chalicelib.http.auth import ADMIN_OR_KEY, PARTNER_KEY, PUBLIC, TENANT_ADMINS, Auth, signed_in
from chalicelib.http.edge import ROUTES, Call, Edge, Reply, Route

__all__ = ["ADMIN_OR_KEY", "PARTNER_KEY", "PUBLIC", "TENANT_ADMINS", "Auth", "signed_in",
           "ROUTES", "Call", "Edge", "Reply", "Route"]
