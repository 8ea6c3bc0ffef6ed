"""`intake mail lmtp`: an LMTP receiver (RFC 2033, aiosmtpd) a mail server delivers to.

Each recipient picks its tenant: the signed token of a reply address (support+TOKEN@...)
names it, or else the address equals a tenant's `mail_address` setting; an address of no
tenant is refused at RCPT, so the mail server keeps the mail rather than losing it. The mail
is stored before the answer to DATA, so an accepted mail is never lost, and a delivery
retried after a failure is stored once (intake.mail.inbound).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from intake.db import Database
from intake.mail.inbound import UNANSWERABLE, Mailroom, receive
from intake.settings import TenantSettings
from intake.tickets.mail_headers import read_reply_address

log = logging.getLogger(__name__)
NO_SENDER = "550 5.1.7 The sender's address (From) cannot be answered"
MAX_BYTES = 25 * 1024 * 1024  # a mail larger than this is refused (552) at DATA


def tenant_of(room: Mailroom, tenant_ids: tuple[str, ...], address: str) -> str | None:
    """Return the tenant a recipient address belongs to, or None."""
    address = address.strip("<>")
    found = read_reply_address(room.brand(tenant_ids[0]).secret, address) if tenant_ids else None
    if found is not None and found[0] in tenant_ids:
        return found[0]
    for tenant_id in tenant_ids:
        if address.lower() == _support_address(room.database, tenant_id):
            return tenant_id
    return None


def _support_address(database: Database, tenant_id: str) -> str:
    with database.read(tenant_id) as session:
        return str(TenantSettings(session).get("mail_address")).strip().lower()


class Handler:
    """aiosmtpd's handler: check each recipient, then store the mail once per tenant."""

    def __init__(self, room: Mailroom, tenant_ids: tuple[str, ...]) -> None:
        self.room = room
        self.tenant_ids = tenant_ids

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str,
                          _options: list[str]) -> str:  # fmt: skip
        """Accept an address of a tenant; refuse any other."""
        loop = asyncio.get_running_loop()
        tenant = await loop.run_in_executor(None, tenant_of, self.room, self.tenant_ids, address)
        if tenant is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.tenants = [*getattr(envelope, "tenants", []), tenant]
        return "250 2.1.5 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """Store the mail for each tenant it is addressed to, then answer for each recipient,
        as LMTP has it (RFC 2033): 250 once stored, 451 (try again later) if not."""
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        tenants: list[str] = getattr(envelope, "tenants", [])
        answers: dict[str, str] = {}
        for tenant in dict.fromkeys(tenants):
            # The envelope's recipients of this tenant: a reply address in a Bcc, or one the
            # mail server was told only in the envelope, finds its ticket too.
            to = [a for a, t in zip(envelope.rcpt_tos, tenants, strict=True) if t == tenant]
            try:
                got = await loop.run_in_executor(None, receive, self.room, tenant, raw, to)
            except Exception:  # noqa: BLE001 (the mail server keeps the mail and tries again)
                log.exception("a delivered mail could not be stored for %s", tenant)
                answers[tenant] = "451 4.3.0 Not stored; try again later"
            else:
                # Nobody could be answered: refused, so the mail server tells its sender
                # (the IMAP path keeps such a mail in mail_done_folder).
                unanswerable = got.outcome == UNANSWERABLE
                answers[tenant] = NO_SENDER if unanswerable else "250 2.0.0 Stored"
        return "\r\n".join(answers[tenant] for tenant in tenants)


class LmtpController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP."""

    def factory(self) -> LMTP:
        """Make the LMTP server of one connection."""
        return LMTP(self.handler, data_size_limit=MAX_BYTES, **self.SMTP_kwargs)


def lmtp_server(room: Mailroom, tenant_ids: tuple[str, ...], host: str, port: int
                ) -> LmtpController:  # fmt: skip
    """Return an LMTP receiver for these tenants (start() it; stop() ends it)."""
    return LmtpController(Handler(room, tenant_ids), hostname=host, port=port)
