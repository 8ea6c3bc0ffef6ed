"""Uploaded files: limits, and a type allow-list decided by the bytes, never by the name."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import filetype

from intake.errors import InvalidInput

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
# Shown in the page: raster images only (their bytes decided the type; none runs a script).
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


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


_NO_PLACE_IN_A_NAME = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_name(name: str) -> str:
    """Return a display name without folders, control characters or line breaks (U+2028 and
    U+2029 too: a name is one line), composed (NFC: "é" typed either way is one name), at most
    120 characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(c for c in base if unicodedata.category(c) not in _NO_PLACE_IN_A_NAME)
    base = base.strip(" .")
    return base[-120:] or "attachment"


# Names a plain-text file may keep: nothing a browser or desktop would run or render.
TEXT_SUFFIXES = (".txt", ".text", ".log", ".csv", ".tsv", ".md", ".json", ".yaml", ".yml",
                 ".ini", ".conf", ".cfg", ".toml")  # fmt: skip
# The endings a file of each type may keep, the first the one it is given otherwise.
SUFFIXES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": TEXT_SUFFIXES,
}


def plain_name(name: str, content_type: str) -> str:
    """Return the name a file is offered under: its type's ending, added when it has another.

    The bytes decide the type, but a name decides what a desktop does with a downloaded file:
    HTML accepted as text, or a PNG with a script after its image data, named page.html runs
    when opened from disk; page.html.txt and page.html.png do not.
    """
    suffix = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    endings = SUFFIXES[content_type]
    return name if suffix in endings else f"{name}{endings[0]}"


def check_files(
    files: list[tuple[str, bytes]],
    max_count: int,
    max_bytes: int,
    already: int = 0,
    field: str = "attachments",
    per: str = "ticket",
) -> list[CheckedFile]:
    """Validate uploads (name, bytes); raise InvalidInput(field=field) naming the file. The
    count is `max_count` per `per` (a customer's per ticket, an agent's per reply)."""
    files = [(name, data) for name, data in files if name or data]  # empty file inputs
    if len(files) + already > max_count:
        left = max(0, max_count - already)
        more = f" ({left} more)" if per == "ticket" else ""
        raise InvalidInput(f"Attach at most {max_count} files per {per}{more}.", field)
    checked: list[CheckedFile] = []
    for raw_name, data in files:
        name = clean_name(raw_name)
        if not data:
            raise InvalidInput(f"{name} is empty.", field)
        if len(data) > max_bytes:
            raise InvalidInput(f"{name} is larger than {size_text(max_bytes)}, the limit per file.",
                               field)  # fmt: skip
        content_type = sniff(data)
        if content_type is None:
            raise InvalidInput(
                f"{name} is not a file type we accept; attach {ALLOWED_TEXT} files.",
                field,
            )
        checked.append(CheckedFile(plain_name(name, content_type), content_type, data))
    return checked


# For the file inputs' `accept` attribute: the same list the checks above enforce.
ACCEPT = ",".join(ALLOWED_TYPES)


def size_text(size: int) -> str:
    """Return a byte count as people read it: 512 bytes, 64 KB, 5 MB, 6.1 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def cut_into_file(text: str, limit: int, name: str, what: str) -> tuple[str, CheckedFile | None]:
    """Return `text` as it fits in `limit` characters and, when it does not fit, the whole of
    it as a text file named `name`: cut at a line, with a note saying where the rest is (a
    chat or a mail longer than a ticket holds loses nothing)."""
    if len(text) <= limit:
        return text, None
    note = f"\n[The {what} goes on: the whole of it is in the attached file {name}.]\n"
    cut = text[: limit - len(note)]
    # At the last line break, or else the last space, unless that keeps under half of it (a
    # greeting, then one long paragraph): then where the room ends.
    for mark in ("\n", " "):
        at = cut.rfind(mark)
        if at >= len(cut) // 2:
            cut = cut[:at]
            break
    return cut + note, CheckedFile(name, "text/plain", text.encode())
