"""Mail that came in, and addresses our mail cannot reach."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, any_case_index, same_tenant


class InboundMail(Timestamped, Base):
    """One received mail, kept by its Message-ID so a second delivery is known as such.

    `outcome` says what became of it: added to a ticket (`reply`), kept as an internal note
    (`note`: another sender, or an automatic reply), a new ticket (`ticket`), or nothing
    (`robot`, `bounce`, `flood`, `loop`, and `unanswerable`: a new mail whose From is no
    address a reply could reach).
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id"),
        same_tenant("ticket_id", "support_tickets"),
        Index("ix_inbound_mail_sender", "tenant_id", "from_address", "created_at"),
        any_case_index("ix_inbound_mail_sender_any_case", "from_address", "created_at"),
    )
    message_id: Mapped[str] = mapped_column(String(255))
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(Integer)


class FailingAddress(Timestamped, Base):
    """An address whose mail bounced: agents see it beside the customer's tickets."""

    __tablename__ = "failing_addresses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        any_case_index("ix_failing_addresses_any_case", "email"),
    )
    email: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(Text, default="")
