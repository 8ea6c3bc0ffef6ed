"""Where attachments' bytes live: one interface, a folder by default or the database.

A folder suits one machine (or several sharing a network file system); the database suits
several machines that share nothing else. Names are ours (random hex), never a customer's.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import delete, select

from intake.db import Database
from intake.files.checks import CheckedFile
from intake.models import StoredFile


class FileStore(Protocol):
    """Save, open and delete stored files by the names `save` hands out."""

    def save(self, tenant_id: str, data: bytes) -> str:
        """Store the bytes durably under a new name and return the name."""

    def open(self, tenant_id: str, name: str) -> BinaryIO | None:
        """Return the stored file for reading, or None when it is gone."""

    def delete(self, tenant_id: str, names: list[str]) -> None:
        """Remove stored files, ignoring ones already gone."""


def new_name() -> str:
    """Return a fresh stored name: 32 hex digits."""
    return secrets.token_hex(16)


def _check(name: str) -> str:
    if not (name.isalnum() and name.isascii()):
        raise ValueError(f"not a stored name: {name!r}")
    return name


class FolderStore:
    """Files under one folder outside anything served (UPLOAD_DIR), written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._probed: tuple[float, str | None] | None = None  # when, and what unusable() said

    def unusable(self, max_age: float = 0.0) -> str | None:
        """Say why no file can be stored now (the folder cannot be made, or written: the
        system's words, no path), or None: a byte is written to a file there, then deleted.
        An answer younger than `max_age` seconds is given again (/readyz is anyone's to ask)."""
        now = time.monotonic()
        if self._probed is not None and now - self._probed[0] < max_age:
            return self._probed[1]
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-") as probe:
                probe.write(b"x")
                probe.flush()
            problem = None
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
        self._probed = (now, problem)
        return problem

    def save(self, tenant_id: str, data: bytes) -> str:  # noqa: ARG002 (names are global)
        """Write the bytes to a temporary file, flush them to disk, then rename into place."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = new_name()
        tmp = self.root / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / name)
        return name

    def open(self, tenant_id: str, name: str) -> BinaryIO | None:  # noqa: ARG002
        """Open the file, or None when it is missing."""
        try:
            return (self.root / _check(name)).open("rb")
        except FileNotFoundError:
            return None

    def delete(self, tenant_id: str, names: list[str]) -> None:  # noqa: ARG002
        """Unlink the files."""
        for name in names:
            (self.root / _check(name)).unlink(missing_ok=True)


class DatabaseStore:
    """Files as rows of stored_files, each saved in its own committed transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def save(self, tenant_id: str, data: bytes) -> str:
        """Insert the bytes under a new name."""
        name = new_name()
        with self.database.write(tenant_id) as session:
            session.add(StoredFile(name=name, size=len(data), data=data))
        return name

    def open(self, tenant_id: str, name: str) -> BinaryIO | None:
        """Read the bytes of the tenant's file into memory (files are a few MB at most)."""
        with self.database.read(tenant_id) as session:
            data = session.scalar(select(StoredFile.data).where(StoredFile.name == _check(name)))
        return None if data is None else io.BytesIO(data)

    def delete(self, tenant_id: str, names: list[str]) -> None:
        """Delete the tenant's rows of those names."""
        if not names:
            return
        with self.database.write(tenant_id) as session:
            session.execute(delete(StoredFile).where(StoredFile.name.in_(names)))


@dataclass(frozen=True)
class SavedFile:
    """A checked upload and the name it is stored under."""

    file: CheckedFile
    stored_name: str


@contextmanager
def saved(
    store: FileStore, tenant_id: str, files: Sequence[CheckedFile]
) -> Iterator[list[SavedFile]]:
    """Store the files for a block that records them; delete them again if the block fails.

    Stored before the block's write transaction opens: on SQLite that transaction holds the
    database's one writer lock, and the database store needs a write of its own.
    """
    done: list[SavedFile] = []
    try:
        for item in files:
            done.append(SavedFile(item, store.save(tenant_id, item.data)))
        yield done
    except BaseException:
        store.delete(tenant_id, [f.stored_name for f in done])
        raise
