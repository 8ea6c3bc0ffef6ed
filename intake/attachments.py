"""Attachments: limits, a type allow-list checked on content, and storage under generated names."""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

from intake.errors import ApiError

# What customers may attach, decided by the bytes, never by the name or the browser's claim.
ALLOWED_TYPES = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF",
    "text/plain": "plain text",
}
ALLOWED_TEXT = "PNG, JPEG, GIF, WebP, PDF or plain text"


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, ready to store."""

    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of the bytes."""
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """Return the allowed MIME type the bytes really are, or None."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    return "text/plain" if _is_text(data) else None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Control characters other than whitespace mean a binary file, whatever its name says.
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def clean_name(name: str) -> str:
    """Return a display name without folders or control characters, at most 120 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[-120:] or "attachment"


def check_files(
    files: list[tuple[str, bytes]],
    max_count: int,
    max_bytes: int,
    already: int = 0,
    field: str = "attachments",
) -> list[CheckedFile]:
    """Validate uploads (name, bytes); raise ApiError(field=field) naming the file."""
    files = [(name, data) for name, data in files if name or data]  # empty file inputs
    if len(files) + already > max_count:
        left = max(0, max_count - already)
        raise ApiError(f"Attach at most {max_count} files per ticket ({left} more).", field)
    checked: list[CheckedFile] = []
    for raw_name, data in files:
        name = clean_name(raw_name)
        if not data:
            raise ApiError(f"{name} is empty.", field)
        if len(data) > max_bytes:
            raise ApiError(
                f"{name} is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB per file.",
                field,
            )
        content_type = sniff(data)
        if content_type is None:
            raise ApiError(
                f"{name} is not a file type we accept; attach {ALLOWED_TEXT} files.",
                field,
            )
        checked.append(CheckedFile(name, content_type, data))
    return checked


class AttachmentStore:
    """Files under UPLOAD_DIR (outside anything served), named by random tokens."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes) -> str:
        """Write the bytes under a new generated name and return that name."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        tmp = self.root / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / name)
        return name

    def path(self, stored_name: str) -> Path:
        """Return where a stored file lives; names are ours, never a customer's."""
        if not stored_name.isalnum():
            raise ValueError(f"not a stored name: {stored_name!r}")
        return self.root / stored_name

    def delete(self, stored_names: list[str]) -> None:
        """Remove stored files (after a failed transaction), ignoring ones already gone."""
        for name in stored_names:
            self.path(name).unlink(missing_ok=True)
