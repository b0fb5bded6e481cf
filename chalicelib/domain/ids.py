"""The shape of the identifiers crowdfix hands out (no imports: the HTTP edge checks path and query
values against these at no cost, the request models use the same patterns)."""

# A tenant id is chosen by platform ops when the tenant is created (``CreateTenant``) and then used
# in URLs (widget, landing page): a lower-case slug.
TENANT_ID = r"^[a-z][a-z0-9-]{2,31}$"


def prefixed_id(prefix: str) -> str:
    """The pattern of an id made by ``models.base.new_id(prefix)`` (``b_...``, ``h_...``): the
    prefix, an underscore, then letters, digits and underscores, 64 characters at most."""
    return rf"^{prefix}_[A-Za-z0-9_]{{1,{62 - len(prefix)}}}$"
