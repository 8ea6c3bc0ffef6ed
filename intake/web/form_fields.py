"""Pieces of WTForms forms that every face's forms share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import Field, IntegerField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import ValidationError

from intake.tickets import rules


class Clean:
    """Reject control characters (and line breaks in one-line fields)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, _form: Any, field: Field) -> None:
        problem = rules.control_problem(field.data or "", self.multiline)
        if problem:
            raise ValidationError(f"{field.label.text} {problem}.")


class WholeNumberField(IntegerField):
    """A whole number written in the digits 0-9 (a minus first, for the range's own message):
    WTForms' IntegerField takes what int() takes, "١٢", "1_000" and "+12" included."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        typed = str(valuelist[0]).strip() if valuelist else ""
        digits = typed.removeprefix("-")
        if typed and not (digits.isascii() and digits.isdigit() and len(digits) <= 12):
            self.data = None
            raise ValueError("Enter a whole number in the digits 0-9.")
        super().process_formdata([typed] if valuelist else valuelist)


def strip(value: Any) -> Any:
    """Filter: strip surrounding spaces from text."""
    return rules.trim(value) if isinstance(value, str) else value


def spelled_once(value: Any) -> Any:
    """Filter: a one-line name as it is kept (rules.one_spelling)."""
    return rules.one_spelling(value) if isinstance(value, str) else value


def choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Return (value, label) pairs as a select field's choices."""
    return [SelectChoice(value, label) for value, label in pairs]
