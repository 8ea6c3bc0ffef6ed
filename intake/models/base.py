"""The declarative base, and what every table has: id, tenant_id, created_at, updated_at."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return a stored time as aware UTC: SQLite hands times back without their zone (every
    time stored is UTC), PostgreSQL in the connection's time zone."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def db_enum(kind: type[enum.Enum], name: str) -> Enum:
    """Map a Python enum to a database enum that stores values, with a CHECK on SQLite too."""
    return Enum(
        kind,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
        validate_strings=True,
        native_enum=True,
        length=32,
    )


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        dt.datetime: DateTime(timezone=True),
    }


class Timestamped:
    """id, tenant_id, created_at and updated_at: what every table of the desk has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def any_case_index(name: str, column: str, *after: str) -> Index:
    """Return an index of (tenant_id, lower(column), *after) for finding an address in any
    case (intake/db/addresses.py), on PostgreSQL only: SQLite's lower() is replaced by Python's
    on each connection, and an index built by one lower() and read by another would mislead."""
    return Index(name, "tenant_id", text(f"lower({column})"), *after).ddl_if(dialect="postgresql")


def same_tenant(column: str, table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """Return a key from (tenant_id, column) to `table`'s (tenant_id, id).

    So no row can point at another tenant's row, whatever the code that writes it.
    """
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )
