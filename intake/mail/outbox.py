"""The outbox: mails are rows written with what caused them, and a sender delivers them later.

A failure to send never loses the ticket (already committed) nor the mail (it stays pending
with a later attempt time). Delivery is at least once: a row is claimed before sending. The
sender works across tenants, in sessions that say so.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Mapping
from email.message import EmailMessage

from sqlalchemy import or_, select, update

from intake.config import IntakeConfig
from intake.db import Database, TenantSession
from intake.mail.smtp import build_message, smtp_send
from intake.models import OutboxMessage, OutboxStatus, utcnow
from intake.tickets.access import without_link_keys

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 120  # a sender that died mid-send leaves its claim; it expires after this


def enqueue(session: TenantSession, to: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox in the caller's transaction."""
    row = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(row)
    return row


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next attempt: 30 s doubling, at most 6 hours."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _claim(database: Database, now: dt.datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due rows as sending and return them, detached (one transaction)."""
    stale = now - dt.timedelta(seconds=CLAIM_SECONDS)
    with database.all_tenants(write=True) as session:
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
        return rows


def send_pending(
    config: IntakeConfig,
    database: Database,
    send: Callable[[IntakeConfig, EmailMessage, str], None] = smtp_send,
    limit: int = 50,
    names: Mapping[str, str] | None = None,
) -> tuple[int, int]:
    """Send due mails; return (sent, failed this round). Failures are retried later. Each
    goes out in the name of its tenant's help center (`names`, by tenant id).

    Whatever happens to one mail (a refused address, a server gone, a message that cannot be
    built) is that mail's failure, counted and retried with back-off; the others go on. After
    MAX_ATTEMPTS it is marked failed with its reason, which admins see in the desk.

    No transaction is open while a mail goes out: a slow mail server must not hold SQLite's
    writer lock (nor a PostgreSQL connection) for the ticket writers.
    """
    sent = failed = 0
    for row in _claim(database, utcnow(), limit):
        attempts = row.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "updated_at": utcnow()}
        try:
            name = (names or {}).get(row.tenant_id, "")
            send(config, build_message(config, row, name), row.tenant_id)
        except Exception as exc:  # noqa: BLE001 (one mail's failure, whatever it is, is its own)
            failed += 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            # A server that cannot take this address (no SMTPUTF8) will not learn to: no retries.
            final = attempts >= MAX_ATTEMPTS or isinstance(exc, smtplib.SMTPNotSupportedError)
            values.update(
                last_error=error,
                next_attempt_at=utcnow() + backoff(attempts),
                status=OutboxStatus.failed if final else OutboxStatus.pending,
            )
            expected = isinstance(exc, (OSError, smtplib.SMTPException))
            # The log names the mail and the kind of failure, never the server's words, which
            # quote the address: logs outlive a customer's erasure. Admins read the reason on
            # the desk's Mail page (last_error, erased with the mail).
            log.warning("mail %s of %s not sent (%s)", row.id, row.tenant_id,
                        type(exc).__name__, exc_info=None if expected else exc)  # fmt: skip
        else:
            sent += 1
            # What went out is kept without its keys: the links' tokens and the signed
            # Reply-To and Message-ID (later mails make their headers anew).
            values.update(status=OutboxStatus.sent, sent_at=utcnow(),
                          body=without_link_keys(row.body), headers={})  # fmt: skip
        _record(database, row.id, values)
    return sent, failed


def _record(database: Database, row_id: int, values: dict[str, object]) -> None:
    """Store a mail's outcome; if that fails, its claim expires and it is tried again."""
    try:
        with database.all_tenants(write=True) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))
    except Exception:  # noqa: BLE001 (the next mail's outcome may still be stored)
        log.exception("outcome of mail %s not stored; it is retried after its claim expires",
                      row_id)  # fmt: skip


def retry_failed(database: Database, tenant_id: str, row_id: int | None = None) -> int:
    """Give failed mails of a tenant (or one of them) a new round of attempts; return how many."""
    with database.write(tenant_id) as session:
        query = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
        if row_id is not None:
            query = query.where(OutboxMessage.id == row_id)
        result = session.execute(query.values(status=OutboxStatus.pending, attempts=0,
                                              next_attempt_at=utcnow()))  # fmt: skip
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def undelivered(database: Database, tenant_id: str, limit: int = 100) -> list[OutboxMessage]:
    """Return a tenant's mails not sent yet or given up on, failed first, newest first."""
    with database.read(tenant_id) as session:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.sent)
            .order_by((OutboxMessage.status == OutboxStatus.failed).desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
        return list(session.scalars(query))
