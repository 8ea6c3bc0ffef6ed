"""The service's exceptions: one base, a configuration error and the API's error."""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error the service raises on purpose; the CLI prints it without a traceback."""


class ConfigError(IntakeError):
    """The environment does not describe a usable service; the message names each variable."""


class ApiError(IntakeError):
    """An error answered as JSON: {"error": {"message": ..., "field": ...}}."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


class NotFound(ApiError):
    """Nothing there, or nothing this caller may see: both answer exactly alike."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, None, 404)
