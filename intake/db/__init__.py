"""The database: engines, explicit read and write transactions, sessions bound to a tenant."""

from __future__ import annotations

from intake.db.database import Database
from intake.db.engine import make_engine
from intake.db.tenancy import TenantSession, UnscopedStatement

__all__ = ["Database", "TenantSession", "UnscopedStatement", "make_engine"]
