"""Sessions bound to a tenant: every ORM statement they run sees and touches only its rows.

A tenant-bound session adds `tenant_id = <its tenant>` to every SELECT it runs (queries,
`Session.get`, relationship and attribute loads) and to ORM UPDATE and DELETE statements,
through `with_loader_criteria` from a `do_orm_execute` hook; new rows get the tenant stamped
at flush, and a row of another tenant cannot be flushed. Core statements, `text()` and raw
connections would bypass all that, so on a tenant-bound session they raise. Work across
tenants opts out where it is written: the outbox sender opens `Database.all_tenants()`, and
the ticket writer, which commits several tenants' tickets in one transaction, writes through
the engine's own connections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria

from intake.models import Timestamped


class UnscopedStatement(RuntimeError):
    """A statement that a tenant-bound session cannot limit to its tenant (a bug, not input)."""


class TenantSession(Session):
    """A session of one tenant (`tenant_id`), or of all tenants when `tenant_id` is None."""

    def __init__(self, *args: Any, tenant_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id

    def connection(self, *args: Any, **kwargs: Any) -> Connection:
        """Return the session's connection; refused on a tenant-bound session."""
        if self.tenant_id is not None:
            raise UnscopedStatement(
                "a raw connection bypasses the tenant; use ORM statements or all_tenants()"
            )
        return super().connection(*args, **kwargs)

    def begin_writing(self) -> None:
        """Take SQLite's writer lock now (a no-op elsewhere): reads that precede a write
        must see the state the write will change."""
        if self.get_bind().dialect.name == "sqlite":
            super().connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _rows(parameters: Any) -> Iterable[dict[str, Any]]:
    if isinstance(parameters, dict):
        return [parameters]
    return parameters or []


@event.listens_for(TenantSession, "do_orm_execute")
def _limit_to_tenant(state: ORMExecuteState) -> None:
    session = state.session
    tenant = session.tenant_id if isinstance(session, TenantSession) else None
    if tenant is None:
        return
    if not state.is_orm_statement:
        raise UnscopedStatement(f"a Core or text() statement on {tenant!r}'s session")
    if state.is_insert:
        rows = list(_rows(state.parameters))
        if not rows or any(row.get("tenant_id") != tenant for row in rows):
            raise UnscopedStatement(f"inserted rows must carry tenant_id={tenant!r}")
        return
    state.statement = state.statement.options(
        with_loader_criteria(Timestamped, lambda cls: cls.tenant_id == tenant, include_aliases=True)
    )


@event.listens_for(TenantSession, "before_flush")
def _stamp_tenant(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    tenant = session.tenant_id if isinstance(session, TenantSession) else None
    if tenant is None:
        return
    for obj in session.new:
        if isinstance(obj, Timestamped) and obj.tenant_id is None:
            obj.tenant_id = tenant
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Timestamped) and obj.tenant_id != tenant:
            raise UnscopedStatement(f"a row of tenant {obj.tenant_id!r} in {tenant!r}'s session")
