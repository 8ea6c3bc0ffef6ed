"""Every run-time setting of a tenant: its kind, default and limits, checked on every write.

Content settings (names, URLs, languages) stay in site.yaml; what an admin changes while the
service runs (sign-in rules, automatic work, mail credentials) is here and in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intake.errors import InvalidInput
from intake.models.enums import TicketPriority
from intake.tickets.calendar import parse_holidays, parse_hours, parse_zone


@dataclass(frozen=True)
class Setting:
    """One setting: kind is bool, int or str; secret ones are stored encrypted."""

    key: str
    kind: type
    default: Any
    help: str
    secret: bool = False
    low: int = 0
    high: int = 10**9
    max_length: int = 500
    # For text in a format of its own: reads it, raising InvalidInput naming the key.
    reader: Callable[[str, str], object] | None = None

    def check(self, value: Any) -> Any:
        """Return `value` if this setting accepts it, else raise InvalidInput naming the key."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise InvalidInput(f"{self.key}: use true or false.", self.key)
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"{self.key}: use a whole number.", self.key)
            if not self.low <= value <= self.high:
                raise InvalidInput(f"{self.key}: use {self.low} to {self.high}.", self.key)
        elif not isinstance(value, str) or len(value) > self.max_length:
            raise InvalidInput(f"{self.key}: use text of at most {self.max_length} characters.",
                               self.key)  # fmt: skip
        elif self.reader is not None:
            self.reader(value, self.key)
        return value

    def parse(self, text: str) -> Any:
        """Read a value typed on the command line."""
        if self.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise InvalidInput(f"{self.key}: use true or false.", self.key)
            return lowered in ("true", "1", "yes", "on")
        if self.kind is int:
            if not re.fullmatch(r"-?[0-9]{1,12}", text.strip()):  # "--5" and 5,000 digits too
                raise InvalidInput(f"{self.key}: use a whole number.", self.key)
            return int(text)
        return text


# Service targets: hours from a ticket's creation to its first answer and to its resolution,
# per priority, counted in the tenant's working time (0: no target).
TARGET_KINDS = {"first_response": "first answer", "resolution": "resolution"}
TARGET_HOURS_MAX = 24 * 90


def target_key(kind: str, priority: TicketPriority) -> str:
    """Return the setting that holds a target, such as first_response_hours_urgent."""
    return f"{kind}_hours_{priority.value}"


TARGETS = tuple(target_key(kind, p) for p in TicketPriority for kind in TARGET_KINDS)


def _targets() -> tuple[Setting, ...]:
    return tuple(
        Setting(target_key(kind, priority), int, 0,
                f"Hours to the {label} of a {priority.value} ticket, in working time (0: none).",
                low=0, high=TARGET_HOURS_MAX)
        for priority in TicketPriority for kind, label in TARGET_KINDS.items()
    )  # fmt: skip


MAIL_SECURITY = ("ssl", "starttls", "none")


def _address(text: str, key: str) -> str:
    if text and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise InvalidInput(f"{key}: use an address like support@example.com.", key)
    return text


def _security(text: str, key: str) -> str:
    if text not in MAIL_SECURITY:
        raise InvalidInput(f"{key}: use one of {', '.join(MAIL_SECURITY)}.", key)
    return text


SETTINGS = {
    s.key: s
    for s in (
        Setting("require_two_factor", bool, False,
                "Every agent of the tenant must sign in with a second factor."),
        Setting("auto_assign", bool, False,
                "Assign each new ticket in turn to an agent online now: of its group if it has"
                " one, else of the whole team."),
        Setting("auto_close_days", int, 0,
                "Close resolved tickets after this many days (0: never).", low=0, high=365),
        Setting("chat_wait_minutes", int, 10,
                "A chat no agent joins within this many minutes becomes a ticket, answered by"
                " mail (the customer is told), and ends.", low=1, high=1440),
        Setting("chat_idle_minutes", int, 60,
                "A chat with an agent in which nobody writes for this many minutes ends.",
                low=5, high=1440),
        Setting("chat_retention_days", int, 90,
                "Archive closed chats after this many days, delete them after twice as many.",
                low=1, high=3650),
        Setting("mail_address", str, "",
                "The tenant's support address (support@...): new mail to it opens tickets.",
                max_length=254, reader=_address),
        Setting("mail_host", str, "",
                "IMAP server of the tenant's incoming mailbox (empty: no fetching).",
                max_length=255),
        Setting("mail_port", int, 993, "IMAP port (993 with ssl, 143 otherwise).", low=1,
                high=65535),
        Setting("mail_security", str, "ssl", "ssl, starttls, or none (loopback tests only).",
                reader=_security, max_length=10),
        Setting("mail_folder", str, "INBOX", "The folder new mail arrives in.", max_length=200),
        Setting("mail_done_folder", str, "Processed",
                "Where mail goes once stored (created when missing).", max_length=200),
        Setting("mail_username", str, "", "User name of the tenant's incoming mailbox."),
        Setting("mail_password", str, "", "Password of the tenant's incoming mailbox.",
                secret=True),
        Setting("time_zone", str, "UTC", "Time zone of the business hours (IANA name).",
                reader=parse_zone),
        Setting("business_hours", str, "",
                "When targets' clocks run, as 'mon-fri 09:00-17:00; sat 10:00-14:00' in the"
                " time zone (empty: round the clock).", reader=parse_hours),
        Setting("holidays", str, "", "Days off, as '2026-12-25, 2027-01-01': no clock runs.",
                reader=parse_holidays, max_length=5000),
        Setting("breach_warning_minutes", int, 60,
                "Mark a ticket as due soon this many minutes before a target (0: never).",
                low=0, high=24 * 60),
        *_targets(),
    )
}  # fmt: skip


def setting(key: str) -> Setting:
    """Return the setting of that key, or raise InvalidInput listing the known keys."""
    try:
        return SETTINGS[key]
    except KeyError:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidInput(f"{key}: no such setting; known: {known}.", "key") from None
