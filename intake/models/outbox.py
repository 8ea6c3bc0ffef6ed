"""Mail waiting to go out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, Timestamped, db_enum, utcnow
from intake.models.enums import OutboxStatus


class OutboxMessage(Timestamped, Base):
    """An email waiting to go out; written in the same transaction as what caused it."""

    __tablename__ = "outbox"
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        db_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.pending, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    # Threading and reply headers (Message-ID, In-Reply-To, References, Reply-To), set when
    # the mail belongs to a ticket, so mail clients thread a ticket's mails together.
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON, default=dict)
