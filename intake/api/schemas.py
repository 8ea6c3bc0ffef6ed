"""The JSON API's shapes: request bodies (with the same rules as the HTML forms) and
responses, all pydantic models; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from intake.errors import InvalidInput
from intake.models.base import as_utc
from intake.models.enums import AuthorType, KbCategory, TicketCategory, TicketPriority, TicketStatus
from intake.models.tickets import SupportTicket, TicketAttachment, TicketResponse
from intake.tickets import rules

# Marks a text field with the rule of its invisible characters; the document lists the ranges.
ONE_LINE = {"x-refused-code-points": "single-line"}
MULTI_LINE = {"x-refused-code-points": "multi-line"}


def _one_line(value: str) -> str:
    problem = rules.control_problem(value, multiline=False)
    if problem:
        raise ValueError(problem)
    return value


def _name(value: str) -> str:
    """A person's name as it is kept (rules.one_spelling); joiners alone are no name."""
    value = rules.one_spelling(_one_line(value))
    if not value:
        raise ValueError("Enter your name.")
    return value


def _text(value: str) -> str:
    problem = rules.control_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


def _address(value: str) -> str:
    try:
        return rules.normal_address(value)
    except ValueError as exc:
        raise ValueError(f"Enter an email address like name@example.com ({exc})") from None


def _visit(value: str) -> str:
    if value and not rules.is_visit_id(value):
        raise ValueError("must be the visit id the ticket form made")
    return value


class Body(BaseModel):
    """A request body: unknown keys refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TicketCreate(Body):
    """POST /api/v1/{tenant}/tickets."""

    name: Annotated[
        str,
        Field(min_length=1, max_length=rules.NAME_MAX, json_schema_extra=ONE_LINE),
        AfterValidator(_name),
    ]
    email: Annotated[
        str,
        Field(max_length=rules.EMAIL_MAX, json_schema_extra={"format": "email"}),
        AfterValidator(_address),
    ]
    subject: Annotated[
        str,
        Field(
            min_length=rules.SUBJECT_MIN, max_length=rules.SUBJECT_MAX, json_schema_extra=ONE_LINE
        ),
        AfterValidator(_one_line),
    ]
    description: Annotated[
        str,
        Field(
            min_length=rules.DESCRIPTION_MIN,
            max_length=rules.DESCRIPTION_MAX,
            json_schema_extra=MULTI_LINE,
        ),
        AfterValidator(_text),
    ]
    category: TicketCategory
    priority: TicketPriority = TicketPriority.medium
    visit_id: Annotated[str, Field(max_length=rules.VISIT_ID_MAX,
                                   json_schema_extra={"pattern": rules.VISIT_ID_PATTERN}),
                        AfterValidator(_visit)] = ""  # fmt: skip


class ReplyCreate(Body):
    """POST /api/v1/{tenant}/tickets/{reference}/replies."""

    body: Annotated[
        str,
        Field(min_length=1, max_length=rules.REPLY_MAX, json_schema_extra=MULTI_LINE),
        AfterValidator(_text),
    ]


class FeedbackCreate(Body):
    """POST /api/v1/{tenant}/kb/articles/{slug}/feedback."""

    helpful: StrictBool  # "yes", 1 or "false" are no answers
    comment: Annotated[
        str,
        Field(max_length=rules.COMMENT_MAX, json_schema_extra=MULTI_LINE),
        AfterValidator(_text),
    ] = ""


class SearchReport(Body):
    """POST /api/v1/{tenant}/kb/searches: what a search of the static site saw."""

    query: Annotated[
        str, Field(min_length=1, max_length=200, json_schema_extra=ONE_LINE),
        AfterValidator(_one_line),
    ]  # fmt: skip
    opened: (
        Annotated[str, Field(max_length=300, json_schema_extra=ONE_LINE), AfterValidator(_one_line)]
        | None
    ) = None


Utc = Annotated[dt.datetime, AfterValidator(as_utc)]


class Out(BaseModel):
    """An answer's shape: the document lists every key."""

    model_config = ConfigDict(extra="forbid")


class AttachmentOut(Out):
    """A file of the thread."""

    id: int
    name: str
    content_type: str
    size: int
    created_at: Utc

    @classmethod
    def of(cls, item: TicketAttachment) -> AttachmentOut:
        """Return the public fields of an attachment."""
        return cls(id=item.id, name=item.original_name, content_type=item.content_type,
                   size=item.size, created_at=item.created_at)  # fmt: skip


class ReplyOut(Out):
    """One reply of the thread, with its files."""

    id: int
    author: AuthorType
    body: str
    created_at: Utc
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, item: TicketResponse) -> ReplyOut:
        """Return what the customer may see of a reply."""
        files = [AttachmentOut.of(a) for a in item.ticket.attachments if a.response_id == item.id]
        return cls(id=item.id, author=item.author_type, body=item.body,
                   created_at=item.created_at, attachments=files)  # fmt: skip


class TicketSummary(Out):
    """A ticket's fields, without its thread."""

    reference: str
    status: TicketStatus
    priority: TicketPriority
    category: TicketCategory
    subject: str
    description: str
    name: str
    email: str
    created_at: Utc
    updated_at: Utc
    resolved_at: Utc | None

    @classmethod
    def fields_of(cls, ticket: SupportTicket) -> dict[str, object]:
        """Return the ticket's public fields."""
        return {
            "reference": ticket.reference, "status": ticket.status,
            "priority": ticket.priority, "category": ticket.category,
            "subject": ticket.subject, "description": ticket.description,
            "name": ticket.customer_name, "email": ticket.customer_email,
            "created_at": ticket.created_at, "updated_at": ticket.updated_at,
            "resolved_at": ticket.resolved_at,
        }  # fmt: skip

    @classmethod
    def of(cls, ticket: SupportTicket) -> TicketSummary:
        """Return the ticket without its thread."""
        return cls(**cls.fields_of(ticket))  # type: ignore[arg-type]


class TicketOut(TicketSummary):
    """A ticket and what its customer may see of its thread."""

    attachments: list[AttachmentOut]
    replies: list[ReplyOut]

    @classmethod
    def of(cls, ticket: SupportTicket) -> TicketOut:
        """Return the ticket with its files and public replies."""
        return cls(
            **cls.fields_of(ticket),  # type: ignore[arg-type]
            attachments=[AttachmentOut.of(a) for a in ticket.attachments if a.response_id is None],
            replies=[ReplyOut.of(r) for r in ticket.responses if not r.is_internal],
        )


class TicketCreated(Out):
    """Answer to a new ticket: keep the token, it is the only key to the ticket."""

    ticket: TicketSummary
    token: str
    url: str


class TicketEnvelope(Out):
    """A ticket and its thread."""

    ticket: TicketOut


class TicketSummaryEnvelope(Out):
    """A ticket without its thread."""

    ticket: TicketSummary


class ReplyEnvelope(Out):
    """A new reply."""

    reply: ReplyOut


class SearchResult(Out):
    """One article or FAQ that matches a search."""

    kind: Literal["article", "faq"]
    slug: str
    title: str
    url: str
    category: KbCategory
    summary: str
    snippet: str


class SearchResults(Out):
    """The best matches first."""

    query: str
    results: list[SearchResult]


class ArticleOut(Out):
    """A published article."""

    slug: str
    title: str
    category: KbCategory
    url: str
    summary: str
    tags: list[str]
    helpful_yes: int
    helpful_no: int


class ArticleList(Out):
    """The published articles."""

    articles: list[ArticleOut]


class FaqOut(Out):
    """A published FAQ."""

    slug: str
    question: str
    category: KbCategory
    url: str


class FaqList(Out):
    """The published FAQs."""

    faqs: list[FaqOut]


class FeedbackTotals(Out):
    """An article's votes after counting one more."""

    slug: str
    helpful_yes: int
    helpful_no: int


class ErrorDetail(Out):
    """What is wrong, and the field at fault if one is."""

    message: str
    field: str | None


class ErrorBody(Out):
    """Every error of the API."""

    error: ErrorDetail


M = TypeVar("M", bound=BaseModel)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    TicketCreate, ReplyCreate, FeedbackCreate, SearchReport,
)  # fmt: skip
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    TicketCreated, TicketEnvelope, TicketSummaryEnvelope, ReplyEnvelope, SearchResults,
    ArticleList, FaqList, FeedbackTotals, ErrorBody,
)  # fmt: skip


def dump(model: BaseModel) -> dict[str, object]:
    """Return a response model as JSON-ready data."""
    return model.model_dump(mode="json")


def parse(model: type[M], data: object) -> M:
    """Validate a decoded JSON body; raise InvalidInput naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.")
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
        elif first["type"] == "value_error":  # a rule of ours: its words, without pydantic's
            message = str(first.get("ctx", {}).get("error", message))
        raise InvalidInput(f"{field}: {message}" if field else message, field) from None
