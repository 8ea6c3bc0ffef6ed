"""Problems found in a writer's content, and the one exception base the CLI reports."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the content, located precisely enough for a writer to fix it."""

    path: str
    line: int
    field: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = "" if self.severity is Severity.ERROR else "warning: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {label}{field}{self.message}"


class KbgenError(Exception):
    """Base of every error kbgen reports to a user; the CLI prints it without a traceback."""


class ContentError(KbgenError):
    """The content has problems; carries all of them, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(KbgenError):
    """The project layout or site.yaml is unusable."""
