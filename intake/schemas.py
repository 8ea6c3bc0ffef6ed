"""The JSON API's request bodies (pydantic), with the same rules as the HTML form."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, ValidationError

from intake import rules
from intake.errors import ApiError
from intake.models import TicketCategory, TicketPriority


def _one_line(value: str) -> str:
    problem = rules.control_problem(value, multiline=False)
    if problem:
        raise ValueError(problem)
    return value


def _text(value: str) -> str:
    problem = rules.control_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


def _visit(value: str) -> str:
    if value and not rules.is_visit_id(value):
        raise ValueError("must be the visit id the ticket form made")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TicketCreate(_Body):
    """POST /api/v1/{tenant}/tickets."""

    name: Annotated[str, Field(min_length=1, max_length=rules.NAME_MAX), AfterValidator(_one_line)]
    email: Annotated[EmailStr, Field(max_length=rules.EMAIL_MAX)]
    subject: Annotated[
        str,
        Field(min_length=rules.SUBJECT_MIN, max_length=rules.SUBJECT_MAX),
        AfterValidator(_one_line),
    ]
    description: Annotated[
        str,
        Field(min_length=rules.DESCRIPTION_MIN, max_length=rules.DESCRIPTION_MAX),
        AfterValidator(_text),
    ]
    category: TicketCategory
    priority: TicketPriority = TicketPriority.medium
    visit_id: Annotated[str, Field(max_length=rules.VISIT_ID_MAX), AfterValidator(_visit)] = ""


class ReplyCreate(_Body):
    """POST /api/v1/{tenant}/tickets/{reference}/replies."""

    body: Annotated[str, Field(min_length=1, max_length=rules.REPLY_MAX), AfterValidator(_text)]


class FeedbackCreate(_Body):
    """POST /api/v1/{tenant}/kb/articles/{slug}/feedback."""

    helpful: bool
    comment: Annotated[str, Field(max_length=rules.COMMENT_MAX), AfterValidator(_text)] = ""


M = TypeVar("M", bound=BaseModel)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (TicketCreate, ReplyCreate, FeedbackCreate)


def parse(model: type[M], data: object) -> M:
    """Validate a decoded JSON body; raise ApiError naming the first bad field."""
    if not isinstance(data, dict):
        raise ApiError("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "Unknown field; remove it."
        elif first["type"] == "missing":
            message = "This field is required."
        raise ApiError(f"{field}: {message}" if field else message, field) from None
