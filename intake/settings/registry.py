"""Every run-time setting of a tenant: its kind, default and limits, checked on every write.

Content settings (names, URLs, languages) stay in site.yaml; what an admin changes while the
service runs (sign-in rules, automatic work, mail credentials) is here and in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.errors import InvalidInput


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
        return value

    def parse(self, text: str) -> Any:
        """Read a value typed on the command line."""
        if self.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise InvalidInput(f"{self.key}: use true or false.", self.key)
            return lowered in ("true", "1", "yes", "on")
        if self.kind is int:
            if not text.strip().isascii() or not text.strip().lstrip("-").isdigit():
                raise InvalidInput(f"{self.key}: use a whole number.", self.key)
            return int(text)
        return text


SETTINGS = {
    s.key: s
    for s in (
        Setting("require_two_factor", bool, False,
                "Every agent of the tenant must sign in with a second factor."),
        Setting("auto_close_days", int, 0,
                "Close resolved tickets after this many days (0: never).", low=0, high=365),
        Setting("chat_retention_days", int, 90,
                "Archive closed chats after this many days, delete them after twice as many.",
                low=1, high=3650),
        Setting("mail_username", str, "", "User name of the tenant's incoming mailbox."),
        Setting("mail_password", str, "", "Password of the tenant's incoming mailbox.",
                secret=True),
    )
}  # fmt: skip


def setting(key: str) -> Setting:
    """Return the setting of that key, or raise InvalidInput listing the known keys."""
    try:
        return SETTINGS[key]
    except KeyError:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidInput(f"{key}: no such setting; known: {known}.", "key") from None
