"""A received mail, read: who wrote, to which addresses, what it answers, its new words and
its files. The quoted history and the signature are cut by mail-parser-reply, which knows the
reply styles of the common mail clients in several languages."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message, MIMEPart
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from intake.tickets.rules import address_key, control_problem, normal_spelling, without_controls

# The reply styles mail-parser-reply knows; a mail in another language keeps its quote.
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs"]
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Attachment:
    """A file that came with a mail."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Received:
    """What the service needs of a received mail."""

    message_id: str
    sender: str  # the From address as rules.address_key gives it: an xn-- domain as Unicode
    sender_name: str
    # To, Cc, Delivered-To and X-Original-To addresses as written (a reply token is
    # case-sensitive)
    recipients: list[str]
    subject: str
    answers: list[str]  # Message-IDs of In-Reply-To and References, nearest first
    text: str  # the new words: the quote and the signature cut
    whole_text: str
    attachments: list[Attachment] = field(default_factory=list)
    message: EmailMessage | None = None
    # The From address as a ticket keeps it (normal_spelling: not lower-cased, for a name
    # before the @ may differ in case, İ from i̇): for storing, never for comparing.
    sender_spelled: str = ""


class _Text(HTMLParser):
    """Collect an HTML body's text, a line per block."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(self._skip - 1, 0)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Return the text of an HTML body."""
    reader = _Text()
    reader.feed(html)
    return re.sub(r"\n\s*\n+", "\n\n", "".join(reader.parts)).strip()


def _decoded(part: MIMEPart) -> str:
    """Return a text part's words whatever its charset says. A charset Python does not know,
    or 8-bit text that declares none (or US-ASCII), is read as UTF-8 where it is that, else as
    Windows-1252, what such mail is mostly written in; bytes a declared charset cannot read
    are replaced."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return str(part.get_payload())
    declared = part.get_content_charset()
    if declared and declared not in ("us-ascii", "ascii"):
        try:
            return data.decode(declared, "replace")
        except LookupError:
            pass  # a charset of no known name: read as undeclared
    for charset in ("utf-8", "cp1252"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a character


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html")) or _first_text(msg)
    if part is None:
        return ""
    text = _decoded(part)
    return html_text(text) if part.get_content_subtype() == "html" else text


def _first_text(msg: MIMEPart) -> MIMEPart | None:
    """Return the mail's first text part that is neither a file nor inside a forwarded mail:
    the words of a mail with no plain or HTML text (a calendar invitation, as it is written)."""
    if msg.get_content_maintype() == "message":  # a forwarded mail: _forwarded reads it
        return None
    if not msg.is_multipart():
        text = msg.get_content_maintype() == "text"
        return msg if text and msg.get_content_disposition() != "attachment" else None
    for part in msg.iter_parts():
        if (found := _first_text(part)) is not None:
            return found
    return None


def _forwarded(msg: EmailMessage) -> str:
    """Return the mails attached whole (message/rfc822: a mail forwarded as an attachment),
    each as its sender, date and subject above its words."""
    found = []
    for part in msg.iter_attachments():
        if part.get_content_type() != "message/rfc822":
            continue
        inner = part.get_content()
        if not isinstance(inner, EmailMessage):
            continue
        lines = [f"{key}: {value}" for key in ("From", "Date", "Subject")
                 if (value := header_text(inner, key))]  # fmt: skip
        found.append("\n".join(["---------- Forwarded message ----------", *lines, "",
                                _body(inner).strip()]))  # fmt: skip
    return "\n\n".join(found)


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue  # a forwarded mail is read into the text (_forwarded)
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            name = _filename(part) or "attachment"
            found.append(Attachment(name, part.get_content_type(), data))
    return found


def _filename(part: EmailMessage) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # noqa: BLE001 (a parameter Python's parser cannot read: no name)
        return ""


def header_values(msg: Message, key: str) -> list[str]:
    """Return each value of a header as one line of text, invisible characters taken out. A
    value Python's parser refuses (an encoded name hiding a line break, an unknown charset)
    is read from its raw form as far as it can be: a mail is never refused for its headers."""
    try:
        values = [str(value) for value in msg.get_all(key, [])]
    except Exception:  # noqa: BLE001 (any parse error of a header: its raw value instead)
        values = [_raw_header(value) for value in _raw_values(msg, key)]
    return [without_controls(value, multiline=False).strip() for value in values]


def _raw_values(msg: Message, key: str) -> list[str]:
    """Return a header's values as they came, before Python's parser reads them."""
    return [value for name, value in msg.raw_items() if name.lower() == key.lower()]


def header_text(msg: Message, key: str) -> str:
    """Return a header's values as one line of text (see header_values)."""
    return " ".join(header_values(msg, key))


def _raw_header(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001 (encoded words that do not decode: as they are)
        return value


def _from(msg: EmailMessage) -> tuple[str, str]:
    """Return the From header's name and address. The address is read from the raw header when
    its encoded name does not parse (a line break hidden in it), so a mail always has its
    sender."""
    try:
        name, address = parseaddr(str(msg.get("From", "")))
    except Exception:  # noqa: BLE001 (see header_values)
        name, address = parseaddr(next(iter(_raw_values(msg, "From")), ""))
        name = _raw_header(name)
    # An address holding an invisible character is no address anyone can be answered at.
    if control_problem(address, multiline=False):
        address = ""
    return without_controls(name, multiline=False).strip(), address


def message_id_of(msg: EmailMessage, raw: bytes) -> str:
    """Return the mail's Message-ID, or one made from its bytes when it has none."""
    found = MESSAGE_ID_RE.search(header_text(msg, "Message-ID"))
    return found.group(0)[:255] if found else f"<sha256-{hashlib.sha256(raw).hexdigest()}>"


def cut_reply(text: str) -> str:
    """Return the new words of a reply: the quoted history and the signature cut."""
    replies = EmailReplyParser(languages=LANGUAGES).read(text).replies
    newest = (replies[0].body if replies else "") or text  # without signature or disclaimer
    lines = newest.rstrip().splitlines()
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()  # a quote left at the end without its "... wrote:" line
    return "\n".join(lines).strip() or newest.strip()


def read_mail(raw: bytes) -> Received:
    """Read a mail as it came (RFC 5322 bytes). Whatever it holds, it is read: text in a
    charset nobody knows or none at all, headers Python's parser refuses, and invisible
    characters (a NUL, a right-to-left override) taken out of its words (rules.without_controls)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, sender = _from(msg)
    recipients = [
        address
        for _name, address in getaddresses(
            [
                value
                for key in ("To", "Cc", "Delivered-To", "X-Original-To")
                for value in header_values(msg, key)
            ]
        )
        if address
    ]
    answers = MESSAGE_ID_RE.findall(header_text(msg, "In-Reply-To"))
    answers += reversed(MESSAGE_ID_RE.findall(header_text(msg, "References")))
    whole = without_controls(_body(msg), multiline=True)
    forwarded = without_controls(_forwarded(msg), multiline=True)
    text = cut_reply(whole) if whole.strip() else ""
    if forwarded:
        text, whole = f"{text}\n\n{forwarded}".strip(), f"{whole}\n\n{forwarded}".strip()
    return Received(
        message_id=message_id_of(msg, raw), sender=address_key(sender), sender_name=name,
        sender_spelled=normal_spelling(sender),
        recipients=recipients, subject=" ".join(header_text(msg, "Subject").split())[:300],
        answers=answers, text=text, whole_text=whole,
        attachments=_attachments(msg), message=msg,
    )  # fmt: skip
