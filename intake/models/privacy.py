"""The record of each customer erasure: who erased, when and how much; never whom."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, same_tenant


class CustomerErasure(Timestamped, Base):
    """One erasure of a customer's data, kept without the erased data (no address, no name)."""

    __tablename__ = "customer_erasures"
    __table_args__ = (same_tenant("agent_id", "agents"),)
    agent_id: Mapped[int | None] = mapped_column(Integer)  # None: from the command line
    by: Mapped[str] = mapped_column(String(100))
    tickets: Mapped[int] = mapped_column(Integer)
    chats: Mapped[int] = mapped_column(Integer)
    mails: Mapped[int] = mapped_column(Integer)
    files: Mapped[int] = mapped_column(Integer)
    # A keyed digest of the address (customers.privacy.address_digest), never the address: a
    # restore of an older backup finds the customer by it and erases them again.
    address_digest: Mapped[str | None] = mapped_column(String(64), default=None)
