"""Where mail goes when no SMTP server is configured: one .eml file per mail, in a folder a
developer can open (`<instance>/mailbox`), so `make run` shows every mail it would send."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from intake.config import IntakeConfig
from intake.mail.smtp import smtp_send


def mailbox_folder(config: IntakeConfig) -> Path:
    """Return the local mailbox's folder."""
    return config.instance_dir / "mailbox"


def write_to_mailbox(config: IntakeConfig, msg: EmailMessage) -> None:
    """Write the message as `<UTC time>-<hash>.eml`, renamed into place when whole."""
    folder = mailbox_folder(config)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = bytes(msg)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{stamp}-{hashlib.sha256(data).hexdigest()[:12]}.eml"
    staged = folder / f".{name}.tmp"
    staged.write_bytes(data)
    os.replace(staged, folder / name)


def deliverer(config: IntakeConfig) -> Callable[[IntakeConfig, EmailMessage], None]:
    """Return how mail leaves: SMTP when SMTP_HOST is set, else the local mailbox."""
    return smtp_send if config.smtp_host else write_to_mailbox
