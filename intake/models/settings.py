"""What admins change at run time, per tenant (the registry in intake.settings names each key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped


class TenantSetting(Timestamped, Base):
    """One setting of one tenant: a plain JSON value, or a secret encrypted at rest."""

    __tablename__ = "tenant_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    # A Fernet token (encrypted and authenticated) when the setting is secret.
    secret: Mapped[str | None] = mapped_column(Text)
