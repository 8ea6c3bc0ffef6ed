"""The service's own exceptions, free of HTTP: services raise them, intake.web answers them.

Each says what is wrong in words a customer or operator can act on; `field` names the form or
JSON field at fault. intake.web.error_handlers maps each kind to one HTTP status, once.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error the service raises on purpose; the CLI prints it without a traceback."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigError(IntakeError):
    """The environment or site.yaml does not describe a usable service; names each key."""


class BackupError(IntakeError):
    """A backup cannot be taken or restored; the message says why and what to do."""


class InvalidInput(IntakeError):
    """A value a caller sent is not acceptable; `field` names it."""


class NotFound(IntakeError):
    """Nothing there, or nothing this caller may see: both answer exactly alike."""

    def __init__(self, message: str = "Not found.", field: str | None = None) -> None:
        super().__init__(message, field)


class Forbidden(IntakeError):
    """The caller is known, but may not do this (a foreign site's browser, say)."""


class Conflict(IntakeError):
    """The request contradicts the current state (a closed ticket, a stale save)."""


class TooMany(IntakeError):
    """A limit was reached; `retry_after` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class Unauthorized(IntakeError):
    """The caller did not say who they are (no token where one is required)."""
