"""Service targets: when each ticket's first answer and resolution are due.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: copying the table on SQLite would drop the
    # full-text triggers of revision 0005.
    for name in ("first_response_due_at", "resolution_due_at"):
        op.add_column("support_tickets", sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for name in ("resolution_due_at", "first_response_due_at"):
        op.drop_column("support_tickets", name)  # SQLite 3.35+ drops a column in place
