"""The outbox: mails are rows written with what caused them, and a sender delivers them later.

A failure to send never loses the ticket (already committed) nor the mail (it stays pending
with a later attempt time). Delivery is at least once: a row is claimed before sending.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from intake.config import IntakeConfig
from intake.db import TenantScope
from intake.models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 120  # a sender that died mid-send leaves its claim; it expires after this


def enqueue(scope: TenantScope, to: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox in the caller's transaction."""
    return scope.add(OutboxMessage(to_address=to, subject=subject, body=body))


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next attempt: 30 s doubling, at most 6 hours."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _message(config: IntakeConfig, row: OutboxMessage) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.mail_from
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg["Message-ID"] = make_msgid(domain=config.mail_from.rsplit("@", 1)[-1])
    msg.set_content(row.body)
    return msg


def smtp_send(config: IntakeConfig, msg: EmailMessage) -> None:
    """Deliver one message through the configured SMTP server."""
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=10) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password)
        smtp.send_message(msg)


def _claim(
    session_factory: Callable[[], Session], now: dt.datetime, limit: int
) -> list[OutboxMessage]:
    """Mark up to `limit` due rows as sending and return them, detached (one transaction)."""
    stale = now - dt.timedelta(seconds=CLAIM_SECONDS)
    with session_factory() as session:
        due = or_(
            (OutboxMessage.status == OutboxStatus.pending) & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == OutboxStatus.sending) & (OutboxMessage.updated_at <= stale),
        )
        ids = list(
            session.scalars(
                select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
            )
        )
        claimed: list[int] = []
        for row_id in ids:
            # Only the sender whose UPDATE matched owns the row (other processes race here).
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, due)
                .values(status=OutboxStatus.sending, updated_at=now)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(row_id)
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(claimed))
                .order_by(OutboxMessage.id)
            )
        )
        session.expunge_all()  # detached before the commit, so they keep what was read
        session.commit()
        return rows


def send_pending(
    config: IntakeConfig,
    session_factory: Callable[[], Session],
    send: Callable[[IntakeConfig, EmailMessage], None] = smtp_send,
    limit: int = 50,
) -> tuple[int, int]:
    """Send due mails; return (sent, failed this round). Failures are retried later.

    No transaction is open while a mail goes out: a slow mail server must not hold SQLite's
    writer lock (nor a PostgreSQL connection) for the ticket writers.
    """
    sent = failed = 0
    for row in _claim(session_factory, utcnow(), limit):
        attempts = row.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "updated_at": utcnow()}
        try:
            send(config, _message(config, row))
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            gave_up = attempts >= MAX_ATTEMPTS
            values.update(
                last_error=error,
                next_attempt_at=utcnow() + backoff(attempts),
                status=OutboxStatus.failed if gave_up else OutboxStatus.pending,
            )
            log.warning("mail %s to %s not sent (%s)", row.id, row.to_address, error)
        else:
            sent += 1
            values.update(status=OutboxStatus.sent, sent_at=utcnow())
        with session_factory() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(values))
            session.commit()
    return sent, failed


class OutboxWorker(threading.Thread):
    """A daemon thread that runs send_pending every `interval` seconds until stopped."""

    def __init__(
        self, config: IntakeConfig, session_factory: Callable[[], Session], interval: float
    ) -> None:
        super().__init__(name="intake-outbox", daemon=True)
        self.config = config
        self.session_factory = session_factory
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        """Send, then wait; an unexpected error is logged and the loop goes on."""
        while not self.stopped.is_set():
            try:
                send_pending(self.config, self.session_factory)
            except Exception:  # noqa: BLE001 (a database hiccup must not end the sender)
                log.exception("outbox round failed")
            self.stopped.wait(self.interval)
