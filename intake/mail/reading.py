"""A received mail, read: who wrote, to which addresses, what it answers, its new words and
its files. The quoted history and the signature are cut by mail-parser-reply, which knows the
reply styles of the common mail clients in several languages."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from intake.tickets.rules import address_key, normal_spelling

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


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return html_text(text) if part.get_content_subtype() == "html" else text


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            name = part.get_filename() or "attachment"
            found.append(Attachment(name, part.get_content_type(), data))
    return found


def message_id_of(msg: EmailMessage, raw: bytes) -> str:
    """Return the mail's Message-ID, or one made from its bytes when it has none."""
    found = MESSAGE_ID_RE.search(str(msg.get("Message-ID", "")))
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
    """Read a mail as it came (RFC 5322 bytes)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, sender = parseaddr(str(msg.get("From", "")))
    recipients = [
        address
        for _name, address in getaddresses(
            [str(v) for key in ("To", "Cc", "Delivered-To", "X-Original-To")
             for v in msg.get_all(key, [])]
        )
        if address
    ]  # fmt: skip
    answers = MESSAGE_ID_RE.findall(str(msg.get("In-Reply-To", "")))
    answers += reversed(MESSAGE_ID_RE.findall(str(msg.get("References", ""))))
    whole = _body(msg)
    return Received(
        message_id=message_id_of(msg, raw), sender=address_key(sender), sender_name=name.strip(),
        sender_spelled=normal_spelling(sender),
        recipients=recipients, subject=" ".join(str(msg.get("Subject", "")).split())[:300],
        answers=answers, text=cut_reply(whole), whole_text=whole,
        attachments=_attachments(msg), message=msg,
    )  # fmt: skip
