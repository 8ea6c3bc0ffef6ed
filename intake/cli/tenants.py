"""What every command naming a tenant checks first."""

from __future__ import annotations

from intake.errors import InvalidInput
from intake.state import state


def known_tenant(tenant_id: str) -> str:
    """Return `tenant_id` if site.yaml has that tenant; else refuse, naming those it has."""
    if state().tenant(tenant_id) is None:
        known = ", ".join(t.id for t in state().site.tenants)
        raise InvalidInput(f"--tenant: {tenant_id!r} is not a tenant of site.yaml ({known})")
    return tenant_id
