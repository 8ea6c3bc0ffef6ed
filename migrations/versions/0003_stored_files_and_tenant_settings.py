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


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    ]  # fmt: skip


def upgrade() -> None:
    """Create both tables."""
    op.create_table(
        "stored_files",
        *_common(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("name", name=op.f("uq_stored_files_name")),
    )
    op.create_index(op.f("ix_stored_files_tenant_id"), "stored_files", ["tenant_id"])
    op.create_table(
        "tenant_settings",
        *_common(),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_settings")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_tenant_settings_tenant_id_key")),
    )
    op.create_index(op.f("ix_tenant_settings_tenant_id"), "tenant_settings", ["tenant_id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("tenant_settings")
    op.drop_table("stored_files")
