"""The people of the support team."""

from __future__ import annotations

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped


class Agent(Timestamped, Base):
    """A person of the support team (the agent issue adds login and roles)."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), UniqueConstraint("tenant_id", "id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
