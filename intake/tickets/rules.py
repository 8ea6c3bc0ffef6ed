"""Field rules shared by the HTML forms and the JSON API, so both accept exactly the same."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

NAME_MAX = 100
EMAIL_MAX = 254
SUBJECT_MIN = 3
SUBJECT_MAX = 200
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 10_000
REPLY_MAX = 10_000
FILES_ONLY = "(files attached)"  # the text of a reply that only sends files
COMMENT_MAX = 2_000
VISIT_ID_MAX = 40
ID_MAX = 2**31 - 1  # row ids: a larger number names no row (and overflows the database)


# Format characters that scripts and emoji need: Persian and Indic writing (zero-width
# non-joiner) and emoji sequences (zero-width joiner).
JOINERS = frozenset("\u200c\u200d")
LINE_BREAKS = frozenset("\n\r\u2028\u2029")


def is_row_id(text: str) -> bool:
    """Say whether text is a row id: ASCII digits, 1 to ID_MAX."""
    return text.isascii() and text.isdigit() and 1 <= int(text) <= ID_MAX


def normal_address(text: str) -> str:
    """Return a customer's mail address in its one stored form, or raise ValueError saying why
    it is none: the check of the HTML forms' Email validator (email-validator, no DNS), so the
    API takes what the form takes ("Jo <jo@example.com>" is refused by both). The form is
    email-validator's: Unicode in NFC, the domain in lower case and in Unicode (not
    "xn--"), so an address typed in any of its spellings finds the same customer."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def customer_address(text: str, field: str = "email") -> str:
    """Return a customer's address in its stored form (normal_address), or raise InvalidInput
    naming `field`: for the chat's calls, which take JSON as the API does."""
    from intake.errors import InvalidInput

    try:
        return normal_address(trim(text))
    except ValueError:
        raise InvalidInput("Enter an email address like name@example.com.", field) from None


def normal_spelling(text: str) -> str:
    """Return an address as tickets keep it (normal_address), or text that is no address as
    typed, in NFC: for finding a customer by whatever spelling of their address was given."""
    try:
        return normal_address(text.strip())
    except ValueError:
        return unicodedata.normalize("NFC", text.strip())


def address_key(text: str) -> str:
    """Return what two spellings of one address have in common: its normal spelling,
    lower-cased. For comparing, never for storing."""
    return normal_spelling(text).lower()


def ascii_address(text: str) -> str:
    """Return the address with its domain in ASCII (xn--), as mail servers without SMTPUTF8
    and most clients write it; as it is when the domain has no other form."""
    local, _, domain = text.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return text


def name_taken(rows: Iterable[tuple[int, str]], name: str, but: int | None = None) -> bool:
    """Say whether a row other than `but` has this name as a reader sees it, in any case
    ("Refund steps" is "refund steps"): (id, name) rows of a tenant's few groups or replies."""
    wanted = name.casefold()
    return any(found.casefold() == wanted for row_id, found in rows if row_id != but)


def one_spelling(name: str) -> str:
    """Return a one-line name as it is kept: composed characters (NFC), single spaces, and no
    joiner that joins nothing (at an end, beside a space or another joiner), so "Group\u00a0eur",
    "Group  eur" and "Group eur\u200d" are "Group eur", not look-alikes beside it. Line breaks
    and other controls stay, for control_problem to refuse."""
    text = unicodedata.normalize("NFC", name).translate(_SPACES)
    text = "".join(c for i, c in enumerate(text) if c not in JOINERS or _joins(text, i))
    return " ".join(part for part in text.split(" ") if part)


# Every space character (Unicode's Zs: no-break, em, ideographic…; none is past U+3000) as a
# plain space.
_SPACES = {c: " " for c in range(0x3001) if unicodedata.category(chr(c)) == "Zs"}


def _joins(text: str, index: int) -> bool:
    """Whether the joiner at `index` stands between two characters it can join."""
    if index == 0 or index == len(text) - 1:
        return False
    return not any(c.isspace() or c in JOINERS for c in (text[index - 1], text[index + 1]))


# Unicode's White_Space: what surrounds a text and goes (pydantic trims the API's fields
# so). Python's str.strip() also drops U+001C-U+001F, which are controls: kept, then refused.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


def trim(text: str) -> str:
    """Return `text` without the white space around it, as every face trims its fields."""
    return text.strip(WHITE_SPACE)


def control_problem(text: str, multiline: bool) -> str | None:
    """Return what is wrong with invisible characters in `text`, or None when it is clean.

    Refused: Unicode's control, format, surrogate and private-use characters, the 66
    noncharacters, and the line and paragraph separators, but for tab and newline in
    multi-line text and the joiners above. A code point this Python's Unicode database does
    not know yet is taken: a newer emoji, typed on a newer phone. docs/service.md lists the
    same rule, and the OpenAPI document states it as code-point ranges (refused_ranges).
    """
    for char in text:
        if multiline and char in "\n\r\t":
            continue
        if char in LINE_BREAKS:
            return (
                "must be a single line"
                if not multiline
                else (f"contains a separator character (U+{ord(char):04X}); use a plain new line")
            )
        if _invisible(char):
            return f"contains an invisible character (U+{ord(char):04X}); remove it"
    return None


def _invisible(char: str) -> bool:
    """Say whether a character (not a line break) is one control_problem refuses."""
    category = unicodedata.category(char)
    if category == "Cn":  # unassigned here, or a noncharacter, which Unicode keeps unassigned
        point = ord(char)
        return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE
    return category[0] == "C" and char not in JOINERS


def without_controls(text: str, multiline: bool) -> str:
    """Return `text` without what control_problem refuses, for text that cannot be refused (a
    received mail's): line breaks and separators become new lines in multi-line text and spaces
    in one line; other invisible characters go (a NUL, which PostgreSQL cannot store, a bell, a
    right-to-left override that disguises a file name)."""
    kept: list[str] = []
    for char in text.replace("\r\n", "\n"):
        if char in LINE_BREAKS:
            kept.append("\n" if multiline else " ")
        elif char == "\t":
            kept.append(char if multiline else " ")
        elif not _invisible(char):
            kept.append(char)
    return "".join(kept)


@functools.cache
def refused_ranges(multiline: bool) -> tuple[str, ...]:
    """Return the code points control_problem refuses, as ranges ("U+0000-U+0008", "U+00AD"),
    for this Python's Unicode database (the OpenAPI document lists them)."""
    found: list[str] = []
    start = None
    for point in range(0x110001):
        refused = point <= 0x10FFFF and control_problem(chr(point), multiline) is not None
        if refused and start is None:
            start = point
        elif not refused and start is not None:
            last = point - 1
            found.append(f"U+{start:04X}" if start == last else f"U+{start:04X}-U+{last:04X}")
            start = None
    return tuple(found)


VISIT_ID_PATTERN = "^[A-Za-z0-9_-]*$"  # empty: no visit


def is_visit_id(value: str) -> bool:
    """Return whether a form visit id looks like the ones our script makes (ASCII letters,
    digits, - and _)."""
    return 0 < len(value) <= VISIT_ID_MAX and all(c.isascii() and (c.isalnum() or c in "-_")
                                                  for c in value)  # fmt: skip


TAG_MAX = 40
TAGS_PER_TICKET = 20
_TAG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
TAG_PATTERN = "^[A-Za-z0-9_-]+$"  # as a client may send one: lower-cased when kept


def clean_tags(raw: list[str], field: str = "tags") -> list[str]:
    """Return tags lower-cased, sorted and unique; a bad one raises InvalidInput naming it."""
    from intake.errors import InvalidInput

    tags = sorted({t.strip().lower() for t in raw if t.strip()})
    for tag in tags:
        if len(tag) > TAG_MAX or not set(tag) <= _TAG_CHARS:
            raise InvalidInput(
                f"{tag[:TAG_MAX]!r}: use a-z, 0-9, - and _ only (no accents or other scripts),"
                f" at most {TAG_MAX}.",
                field,
            )
    if len(tags) > TAGS_PER_TICKET:
        raise InvalidInput(f"Use at most {TAGS_PER_TICKET} tags.", field)
    return tags
