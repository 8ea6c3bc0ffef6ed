"""Helpers for the tests of mail in: mails as clients write them, and the app's mailroom."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import Flask
from sqlalchemy import select

from intake.mail.inbound import Outcome, receive
from intake.models import OutboxMessage
from intake.state import state


def mail(sender: str, to: str, subject: str, body: str, **headers: str) -> bytes:
    """Return a mail as a client sends it (headers given as Header_Name="value")."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = headers.pop("Message_ID", make_msgid(domain="client.example"))
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def with_files(raw: bytes, *files: tuple[str, bytes]) -> bytes:
    """Return the mail `raw` with `files` (name, bytes) attached."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(msg)


def bounce(recipient: str, to: str, quoted: str, reason: str = "550 gone") -> bytes:
    """Return a mail server's report that mail to `recipient` failed (for `reason`), quoting
    `quoted`."""
    head = mail("MAILER-DAEMON@mx.example", to, "Undelivered", "x").split(b"\n\n", 1)[0]
    head = head.replace(
        b"Content-Type: text/plain",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    )
    return head + (
        b"\n\n--b\nContent-Type: text/plain\n\n" + quoted.encode() + b"\n"
        b"\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        b"Final-Recipient: rfc822; " + recipient.encode() + b"\nAction: failed\n"
        b"Diagnostic-Code: smtp; " + reason.encode() + b"\n\n--b--\n"
    )


def deliver(app: Flask, raw: bytes, tenant: str = "eur") -> Outcome:
    """Hand a mail to the app's mailroom as the IMAP fetch and the LMTP receiver do."""
    return receive(state(app).mailroom, tenant, raw)


def reply_address(app: Flask, reference: str) -> tuple[str, str]:
    """Return the Reply-To address and the root Message-ID of a ticket's mails."""
    with state(app).db.all_tenants() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        for row in rows:
            headers = row.headers or {}
            if reference in row.subject and headers.get("Reply-To"):
                root = headers.get("Message-ID") or headers.get("In-Reply-To", "")
                return headers["Reply-To"], root
    raise AssertionError(f"no mail of {reference} in the outbox")
