"""Mail as it leaves: an outbox row made into a message and handed to an SMTP server."""

from __future__ import annotations

import smtplib
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from typing import cast

from intake.config import IntakeConfig
from intake.mail.html import html_body
from intake.models import OutboxMessage, as_utc, utcnow
from intake.tickets.rules import ascii_address

# Set per mail by the outbox row: threading, replies, and what marks a mail as automatic.
THREAD_HEADERS = (
    "In-Reply-To",
    "References",
    "Reply-To",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


class _WholeLine(UnstructuredHeader):
    """A header written on one line, never encoded. List-Unsubscribe's link, and a thread's
    Message-IDs under a long domain, are longer than the 78 characters a line should have, and
    Python's folding made them encoded words: no mail client offered the link (RFC 2369 wants
    the <URL> as it is) or threaded our mails (RFC 5322 ids are never encoded)."""

    name: str  # given by BaseHeader, which HeaderRegistry mixes in

    def fold(self, *, policy: EmailPolicy) -> str:
        return f"{self.name}: {' '.join(str(self).split())}{policy.linesep}"


_HEADERS = HeaderRegistry()
# A header class is a mixin HeaderRegistry combines with BaseHeader; typeshed wants the whole.
for _name in ("list-unsubscribe", "in-reply-to", "references"):
    _HEADERS.map_to_type(_name, cast("type[BaseHeader]", _WholeLine))
PLAIN = policy.default.clone(header_factory=_HEADERS)
UTF8 = policy.SMTPUTF8.clone(header_factory=_HEADERS)


def sender(mail_from: str, name: str) -> str | Address:
    """Return a mail's From: MAIL_FROM with the help center's name shown before it (mail
    clients list the sender by it), unless MAIL_FROM names one itself."""
    shown, address = parseaddr(mail_from)
    if shown or not name or "@" not in address:
        return mail_from
    return Address(display_name=name, addr_spec=address)


def build_message(config: IntakeConfig, row: OutboxMessage, name: str = "") -> EmailMessage:
    """Return the message of an outbox row, sent in the name of `name` (its help center)."""
    to = ascii_address(row.to_address)
    # An international domain goes out as xn--: a relay without SMTPUTF8 refuses the other.
    # A name before the @ in other letters has no ASCII form: such a mail is written in UTF-8
    # (RFC 6532), which only a server offering SMTPUTF8 takes (smtplib asks for it).
    msg = EmailMessage(policy=UTF8 if not to.isascii() else PLAIN)
    msg["From"] = sender(config.mail_from, name)
    msg["To"] = to
    msg["Subject"] = row.subject
    # When the mail was complete (RFC 5322 requires a Date): queued, not a retry's moment.
    msg["Date"] = format_datetime(as_utc(row.created_at or utcnow()))
    headers = dict(row.headers or {})
    msg["Message-ID"] = headers.pop("Message-ID", "") or make_msgid(
        domain=config.mail_from.rsplit("@", 1)[-1]
    )
    for name in THREAD_HEADERS:
        if headers.get(name):
            msg[name] = headers[name]
    msg.set_content(row.body)
    msg.add_alternative(html_body(row.body, row.subject), subtype="html")
    return msg


def smtp_send(config: IntakeConfig, msg: EmailMessage, _tenant_id: str = "") -> None:
    """Deliver one message through the configured SMTP server."""
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=10) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password)
        smtp.send_message(msg)
