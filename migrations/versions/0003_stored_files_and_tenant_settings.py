"""Stored files in the database (FILE_STORAGE=database) and tenants' run-time settings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(table: str, *items: sa.Column[object] | sa.Constraint) -> None:
    """Create a table with the columns every table has, its key and its tenant index."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        *items,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )  # fmt: skip
    op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"])


def upgrade() -> None:
    """Create both tables."""
    _create(
        "stored_files",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_stored_files_name")),
    )
    _create(
        "tenant_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_tenant_settings_tenant_id_key")),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("tenant_settings")
    op.drop_table("stored_files")
