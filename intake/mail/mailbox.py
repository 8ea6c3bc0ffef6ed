"""Where mail goes when no SMTP server is configured: one .eml file per mail, in a folder a
developer can open (`<instance>/mailbox`), so `make run` shows every mail it would send.

A file's name carries its tenant (`<UTC time>+<tenant>+<hash>.eml`: a tenant id holds no
"+"), so a customer's erasure deletes their mails here too, and only their tenant's."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Collection
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from intake.config import IntakeConfig
from intake.mail.smtp import smtp_send
from intake.tickets.rules import address_key


def mailbox_folder(config: IntakeConfig) -> Path:
    """Return the local mailbox's folder."""
    return config.instance_dir / "mailbox"


def write_to_mailbox(config: IntakeConfig, msg: EmailMessage, tenant_id: str) -> None:
    """Write the message as `<UTC time>+<tenant>+<hash>.eml`, renamed into place when whole."""
    folder = mailbox_folder(config)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = bytes(msg)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{stamp}+{tenant_id}+{hashlib.sha256(data).hexdigest()[:12]}.eml"
    staged = folder / f".{name}.tmp"
    staged.write_bytes(data)
    os.replace(staged, folder / name)


def erase_from_mailbox(
    folder: Path, tenant_id: str, email: str, references: Collection[str]
) -> int:
    """Delete the tenant's mails to `email` (any case) or about one of the tickets
    `references` names (their subjects start "[EUR-10034] "); return how many went."""
    wanted = address_key(email)
    about = tuple(f"[{reference}] " for reference in references)
    removed = 0
    for path in folder.glob("*.eml"):
        parts = path.name.split("+")
        if len(parts) == 3 and parts[1] != tenant_id:
            continue  # another tenant's; a name without its tenant is from an older version
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=policy.default).parse(handle)
        # compared as spellings of one address: mail names an international domain xn--
        to = {address_key(address) for _name, address in getaddresses([str(headers["To"] or "")])}
        if wanted in to or str(headers.get("Subject", "")).startswith(about):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def deliverer(config: IntakeConfig) -> Callable[[IntakeConfig, EmailMessage, str], None]:
    """Return how mail leaves: SMTP when SMTP_HOST is set, else the local mailbox."""
    return smtp_send if config.smtp_host else write_to_mailbox
