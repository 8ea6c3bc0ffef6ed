"""The last authenticator code an agent signed in with, by its 30-second step: a code is
accepted once (RFC 6238, section 5.2), so one seen over a shoulder or in a log is spent.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), server_default="0",
                                   nullable=False))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("totp_last_step")
