"""Stored files kept in the database, for deployments whose machines share no folder."""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from intake.models.base import Base, Timestamped


class StoredFile(Timestamped, Base):
    """The bytes of one attachment when FILE_STORAGE=database (the folder store needs no row)."""

    __tablename__ = "stored_files"
    __table_args__ = (UniqueConstraint("name"),)
    name: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # Loaded only when the file is read, never with a listing.
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
