"""Reading a tenant's mailbox over IMAP (IMAPClient): each mail is stored, then moved.

A mail leaves the inbox only after it is stored (intake.mail.inbound commits it, or finds it
stored before); a crash between the two leaves it in the inbox, and the next round finds it
stored and only moves it. So nothing is lost and nothing is stored twice. After a round,
where the server offers IDLE, the connection waits for new mail for up to `wait` seconds, so
mail is read as it arrives rather than at the next round.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from intake.db import Database
from intake.errors import ConfigError
from intake.mail.inbound import Mailroom, receive
from intake.mail.robots import bounced_addresses, is_bounce
from intake.settings import SecretBox, TenantSettings
from intake.tickets.rules import address_key, ascii_address

log = logging.getLogger(__name__)
BATCH = 50  # mails per fetch command
TIMEOUT = 30.0  # seconds for the server's answers


@dataclass(frozen=True)
class Mailbox:
    """Where a tenant's mail is read (its settings; the password never leaves this object)."""

    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    done_folder: str

    def __repr__(self) -> str:  # never the password, whatever logs the object
        return f"Mailbox({self.username}@{self.host}:{self.port}, {self.security})"


def mailbox_of(database: Database, secrets: SecretBox, tenant_id: str) -> Mailbox | None:
    """Return the tenant's mailbox settings, or None when it has no mail_host."""
    with database.read(tenant_id) as session:
        settings = TenantSettings(session, secrets)
        values = {key: settings.get(key) for key in (
            "mail_host", "mail_port", "mail_security", "mail_username", "mail_password",
            "mail_folder", "mail_done_folder")}  # fmt: skip
    if not values["mail_host"]:
        return None
    return Mailbox(str(values["mail_host"]), int(values["mail_port"]),
                   str(values["mail_security"]), str(values["mail_username"]),
                   str(values["mail_password"]), str(values["mail_folder"]),
                   str(values["mail_done_folder"]))  # fmt: skip


def _connect(box: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(box.host, box.port, ssl=box.security == "ssl", ssl_context=context,
                        timeout=TIMEOUT)  # fmt: skip
    try:
        if box.security == "starttls":
            client.starttls(context)
        client.login(box.username, box.password)
    except BaseException:
        client.shutdown()  # the socket, closed whatever the server said
        raise
    return client


@contextmanager
def _session(box: Mailbox, who: str) -> Iterator[IMAPClient]:
    """Yield a client signed in to the mailbox, logged out after; a server that cannot be
    reached, or stops answering, is a ConfigError naming `who` (the tenant) and the box."""
    try:
        client = _connect(box)
    except (OSError, IMAPClientError) as exc:
        raise ConfigError(f"{who}: cannot read {box!r}: {exc}") from None
    try:
        yield client
    except (OSError, IMAPClientError) as exc:  # what was done stays done; the rest waits
        raise ConfigError(f"{who}: reading {box!r} stopped: {exc}") from None
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            pass


def _move(client: IMAPClient, uids: list[int], folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move(uids, folder)
    else:  # COPY, then delete: a crash in between leaves a copy, never a loss
        client.copy(uids, folder)
        client.delete_messages(uids)
        client.expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


def forget_sender(box: Mailbox, tenant_id: str, email: str) -> int:
    """Delete from the tenant's done folder every mail `email` sent (the raw mails kept there
    once read), and every bounce reporting mail to it undelivered (which quotes the mail, their
    name and words): a customer's erasure reaches the mail server too. Return how many went.

    IMAP's searches match part of an address ("ada@" finds "bada@"), so each match is read
    and its sender, or the bounce's failed recipient, compared whole before anything is
    deleted. Raise ConfigError when the server cannot be read."""
    wanted = address_key(email)
    with _session(box, tenant_id) as client:
        if not client.folder_exists(box.done_folder):
            return 0
        client.select_folder(box.done_folder)
        sent: set[int] = set()
        named: set[int] = set()
        for spelled in {email, ascii_address(email)}:  # clients write such domains xn--
            charset = None if spelled.isascii() else "UTF-8"
            sent |= set(client.search(["FROM", spelled], charset=charset))
            named |= set(client.search(["TEXT", spelled], charset=charset))
        theirs = [uid for uid, data in client.fetch(sorted(sent), ["ENVELOPE"]).items()
                  if _sender(data.get(b"ENVELOPE")) == wanted] if sent else []  # fmt: skip
        named -= set(theirs)
        theirs += [uid for uid in sorted(named) if _bounced_to(client, uid, wanted)]
        if theirs:
            client.delete_messages(theirs)
            client.expunge(theirs) if client.has_capability("UIDPLUS") else client.expunge()
        return len(theirs)


def _bounced_to(client: IMAPClient, uid: int, wanted: str) -> bool:
    """Say whether the mail `uid` is a bounce of mail to the address `wanted` (address_key)."""
    raw = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]", b"")
    msg = message_from_bytes(raw, policy=policy.default)
    if not isinstance(msg, EmailMessage) or not is_bounce(msg):
        return False
    return any(address_key(address) == wanted for address, _reason in bounced_addresses(msg))


def _sender(envelope: Any) -> str:
    """Return an envelope's first sender address as rules.address_key gives it, or ''."""
    senders = getattr(envelope, "from_", None) or ()
    if not senders:
        return ""
    mailbox = (senders[0].mailbox or b"").decode("utf-8", "replace")
    host = (senders[0].host or b"").decode("utf-8", "replace")
    return address_key(f"{mailbox}@{host}")  # an xn-- host as the Unicode tickets keep


def fetch_box(room: Mailroom, tenant_id: str, box: Mailbox, wait: float = 0.0) -> dict[str, int]:
    """Read every mail waiting in the tenant's mailbox; return counts per outcome."""
    counts: dict[str, int] = {}
    with _session(box, tenant_id) as client:
        if not client.folder_exists(box.done_folder):
            client.create_folder(box.done_folder)
        client.select_folder(box.folder)
        skipped: set[int] = set()  # mails that failed this round: left in the inbox
        while True:
            uids = [uid for uid in client.search("ALL") if uid not in skipped][:BATCH]
            if not uids:
                break
            for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items():
                raw = data.get(b"BODY[]")
                if not isinstance(raw, bytes):
                    skipped.add(uid)
                    continue
                try:
                    outcome = receive(room, tenant_id, raw)
                except Exception:  # noqa: BLE001 (one mail's fault must not hold up the rest)
                    log.exception("%s: a mail in %r could not be stored; it stays in the inbox"
                                  " and is tried again next round", tenant_id, box)  # fmt: skip
                    skipped.add(uid)
                    key = "not stored (left in the inbox; see the log)"
                    counts[key] = counts.get(key, 0) + 1
                    continue
                key = "already stored" if outcome.duplicate else outcome.outcome
                counts[key] = counts.get(key, 0) + 1
                _move(client, [uid], box.done_folder)  # only once it is stored
        if wait > 0 and client.has_capability("IDLE"):
            client.idle()
            client.idle_check(timeout=wait)  # returns at the first news, or after `wait`
            client.idle_done()
    return counts


def fetch_all(room: Mailroom, secrets: SecretBox, tenant_ids: Iterable[str],
              wait: float = 0.0) -> dict[str, dict[str, int]]:  # fmt: skip
    """Read the mailbox of every tenant that has one; a tenant's failure is logged, and the
    others are read all the same."""
    done: dict[str, dict[str, int]] = {}
    for tenant_id in tenant_ids:
        box = mailbox_of(room.database, secrets, tenant_id)
        if box is None:
            continue
        try:
            done[tenant_id] = fetch_box(room, tenant_id, box, wait)
        except ConfigError as exc:
            log.warning("%s", exc.message)
    return done
