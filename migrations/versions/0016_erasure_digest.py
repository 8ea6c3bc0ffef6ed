"""A keyed digest of each erased customer's address, so that restoring a backup taken before an
erasure erases them again (the erasure record keeps no address).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_erasures") as batch:
        batch.add_column(sa.Column("address_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_erasures") as batch:
        batch.drop_column("address_digest")
