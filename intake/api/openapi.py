"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Every request and response body is a pydantic model of intake.api.schemas (and, for the
agents' desk, intake.api.desk_schemas), the same ones the views validate with and answer
through, so the document cannot drift from them; tests check that its paths are the app's
/api/v1 routes and that real answers match its schemas.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic.json_schema import models_json_schema

from intake.api import agent_auth
from intake.api.desk_schemas import DESK_REQUEST_MODELS, DESK_RESPONSE_MODELS
from intake.api.schemas import REQUEST_MODELS, RESPONSE_MODELS
from intake.files.checks import ALLOWED_TYPES
from intake.models import TicketCategory, TicketPriority
from intake.tickets import rules
from intake.tickets.queue import DUE_CHOICES, SORTS, STATUS_CHOICES
from kbgen.schema import KbCategory

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")
REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("ErrorBody"), description)


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or list(props)}


STR = {"type": "string"}
INT = {"type": "integer"}
TENANT = {"name": "tenant", "in": "path", "required": True, "schema": STR,
          "description": "The tenant's id from site.yaml, such as eur."}  # fmt: skip
REFERENCE = {"name": "reference", "in": "path", "required": True, "schema": STR,
             "description": "The ticket's reference, such as EUR-10234."}  # fmt: skip
CATEGORY = {"name": "category", "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["", *(c.value for c in KbCategory)]},
            "description": "Only this category; empty: every category."}  # fmt: skip
BEARER: list[dict[str, list[str]]] = [{"ticketToken": []}]
NOT_FOUND = _error("No such tenant, ticket or item (all answer alike).")
# REPLY_RATE_LIMIT: replies, files and resolving share one allowance per address.
TOO_MANY_WRITES = _error("Too many changes to tickets from this address.")


def _schemas() -> dict[str, Any]:
    models = [(m, "validation") for m in (*REQUEST_MODELS, *DESK_REQUEST_MODELS)]
    models += [(m, "serialization") for m in (*RESPONSE_MODELS, *DESK_RESPONSE_MODELS)]
    _, defs = models_json_schema(models, ref_template=REF)  # type: ignore[arg-type]
    return dict(defs.get("$defs", {}))


def _body(model: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def _ticket_paths() -> dict[str, Any]:
    ticket_out = _json(_ref("TicketEnvelope"), "The ticket and its thread.")
    summary_out = _json(_ref("TicketSummaryEnvelope"), "The ticket.")
    reply_out = _json(_ref("ReplyEnvelope"), "The new reply.")
    with_ref = [TENANT, REFERENCE]
    return {
        "/api/v1/{tenant}/tickets": {"post": {
            "summary": "Create a ticket", "operationId": "createTicket", "parameters": [TENANT],
            "requestBody": _body("TicketCreate"),
            "responses": {
                "201": {**_json(_ref("TicketCreated"),
                                "Created: keep the token, it is the only key to the ticket."),
                        "headers": {"Location": {"description": "The ticket's address in the"
                                                 " API (getTicket).", "schema": STR}}},
                "400": _error("A field is invalid; `field` names it."),
                "404": NOT_FOUND, "429": _error("Too many tickets from this address.")}}},
        "/api/v1/{tenant}/tickets/{reference}": {"get": {
            "summary": "Read a ticket and its thread", "operationId": "getTicket",
            "parameters": with_ref, "security": BEARER,
            "responses": {"200": ticket_out, "401": _error("No token sent."), "404": NOT_FOUND}}},
        "/api/v1/{tenant}/tickets/{reference}/replies": {"post": {
            "summary": "Reply to a ticket", "operationId": "replyToTicket",
            "parameters": with_ref, "security": BEARER, "requestBody": _body("ReplyCreate"),
            "responses": {"201": reply_out, "400": _error("Invalid reply."),
                          "401": _error("No token sent."), "404": NOT_FOUND,
                          "409": _error("The ticket is closed."), "429": TOO_MANY_WRITES}}},
        "/api/v1/{tenant}/tickets/{reference}/resolve": {"post": {
            "summary": "Mark a ticket resolved", "operationId": "resolveTicket",
            "parameters": with_ref, "security": BEARER,
            "responses": {"200": summary_out, "401": _error("No token sent."), "404": NOT_FOUND,
                          "429": TOO_MANY_WRITES}}},
        "/api/v1/{tenant}/tickets/{reference}/attachments": {"post": {
            "summary": "Attach files", "operationId": "attachFiles",
            "parameters": with_ref, "security": BEARER,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                **_obj({"file": {"type": "array", "minItems": 1,
                                 "items": {"type": "string", "format": "binary"}},
                        "body": STR}, ["file"]), "additionalProperties": False}}}},
            "responses": {"201": reply_out, "400": _error(
                "A file is refused (`field` is file), or the note or another field is wrong "
                "(`field` names it)."),
                          "401": _error("No token sent."), "404": NOT_FOUND,
                          "409": _error("The ticket is closed."),
                          "413": _error("The upload is too large."), "429": TOO_MANY_WRITES}}},
        "/api/v1/{tenant}/tickets/{reference}/attachments/{attachment_id}": {"get": {
            "summary": "Download a file", "operationId": "downloadAttachment",
            "parameters": [*with_ref, {"name": "attachment_id", "in": "path", "required": True,
                                       "schema": INT}],
            "security": BEARER,
            "responses": {"200": {"description": "The file, as an attachment download, with the"
                                                 " type its content was checked to be.",
                                  "content": {kind: {"schema": {"type": "string",
                                                                "format": "binary"}}
                                              for kind in ALLOWED_TYPES}},
                          "401": _error("No token sent."), "404": NOT_FOUND}}},
    }  # fmt: skip


def _kb_paths() -> dict[str, Any]:
    return {
        "/api/v1/{tenant}/kb/search": {"get": {
            "summary": "Search articles and FAQs", "operationId": "searchKb",
            "parameters": [TENANT, {"name": "q", "in": "query", "required": True, "schema": STR},
                           CATEGORY, {"name": "limit", "in": "query", "required": False,
                                      "schema": {"type": "integer", "minimum": 1, "maximum": 20}}],
            "responses": {"200": _json(_ref("SearchResults"), "Best matches first."),
                "400": _error("A parameter is invalid."), "404": NOT_FOUND,
                "429": _error("Too many searches from this address.")}}},
        "/api/v1/{tenant}/kb/articles": {"get": {
            "summary": "List published articles", "operationId": "listArticles",
            "parameters": [TENANT, CATEGORY],
            "responses": {"200": _json(_ref("ArticleList"), "Articles."),
                          "400": _error("A parameter is invalid."), "404": NOT_FOUND}}},
        "/api/v1/{tenant}/kb/faqs": {"get": {
            "summary": "List published FAQs", "operationId": "listFaqs",
            "parameters": [TENANT, CATEGORY],
            "responses": {"200": _json(_ref("FaqList"), "FAQs."),
                          "400": _error("A parameter is invalid."), "404": NOT_FOUND}}},
        "/api/v1/{tenant}/kb/articles/{slug}/feedback": {"post": {
            "summary": "Was this article helpful?", "operationId": "articleFeedback",
            "parameters": [TENANT, {"name": "slug", "in": "path", "required": True,
                                    "schema": STR}],
            "requestBody": _body("FeedbackCreate"),
            "responses": {"201": _json(_ref("FeedbackTotals"), "Counted; the article's totals."),
                          "400": _error("Invalid feedback."), "404": NOT_FOUND,
                          "429": _error("Too many answers from this address.")}}},
        "/api/v1/{tenant}/kb/searches": {"post": {
            "summary": "Report what a search of the static site saw",
            "description": "Without `opened`: the query found nothing. With it: the reader"
                           " opened that page (an article's or an FAQ's address) from the"
                           " results. Nothing that identifies the reader is sent or kept. The"
                           " body may come as text/plain (a browser's beacon).",
            "operationId": "reportSearch", "parameters": [TENANT],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("SearchReport")},
                "text/plain": {"schema": _ref("SearchReport")}}},
            "responses": {"204": {"description": "Counted."},
                          "400": _error("A field is invalid; `field` names it."),
                          "404": _error("No such tenant, or `opened` names no published"
                                        " article or FAQ."),
                          "429": _error("Too many reports from this address.")}}},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")}}},
    }  # fmt: skip


AGENT: list[dict[str, list[str]]] = [{"agentToken": []}]
NO_AGENT = _error(
    "No valid API token of an active agent of this tenant; `field` is"
    " Authorization (a wrong token and another tenant's answer alike)."
)
STALE = "The ticket changed since `version` (the message names who; nothing was saved)"


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _one_of(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _queue_parameters() -> list[dict[str, Any]]:
    # The queue's filters as the desk's form sends them: an empty value means no filter.
    def either(values: Iterable[str]) -> dict[str, Any]:
        return _one_of(dict.fromkeys(["", *values]))  # empty once, if `values` has it too

    return [
        TENANT,
        _query("status", either(STATUS_CHOICES), "Default active: open, in progress, pending."),
        _query("priority", either(p.value for p in TicketPriority), "Only this priority."),
        _query("category", either(c.value for c in TicketCategory), "Only this category."),
        _query("tag", STR, "Only tickets with this tag (a-z, 0-9, - and _)."),
        _query("group", {"type": "string", "pattern": "^[0-9]*$"}, "A group's id."),
        _query("assignee", {"type": "string", "pattern": "^(mine|unassigned|[0-9]+)?$"},
               "mine, unassigned, or an agent's id."),
        _query("q", {"type": "string", "maxLength": 200},
               "Words of the subject, description or messages (each a prefix)."),
        _query("due", either(DUE_CHOICES),
               "missed: past the next target; soon: within the warning before it."),
        _query("sort", either(SORTS), "Default updated; due: by the next target."),
        _query("order", either(("desc", "asc")), "Default desc."),
        _query("page", {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 100_000},
                                  {"type": "string", "maxLength": 0}]}, "Default (or empty) 1."),
    ]  # fmt: skip


def _desk_paths() -> dict[str, Any]:
    with_ref = [TENANT, REFERENCE]
    changed = _json(_ref("DeskTicketChanged"), "The ticket after the change.")
    return {
        "/api/v1/{tenant}/desk/tickets": {"get": {
            "summary": "List the queue", "operationId": "deskListTickets",
            "parameters": _queue_parameters(), "security": AGENT,
            "responses": {"200": _json(_ref("DeskTicketList"), "One page and the counts."),
                          "400": _error("A filter is invalid; `field` names it."),
                          "401": NO_AGENT, "404": NOT_FOUND}}},
        "/api/v1/{tenant}/desk/tickets/{reference}": {
            "get": {
                "summary": "Read a ticket, its whole thread and its audit trail",
                "operationId": "deskGetTicket", "parameters": with_ref, "security": AGENT,
                "responses": {"200": _json(_ref("DeskTicketEnvelope"), "The ticket."),
                              "401": NO_AGENT, "404": NOT_FOUND}},
            "patch": {
                "summary": "Change a ticket's fields", "operationId": "deskChangeTicket",
                "parameters": with_ref, "security": AGENT,
                "requestBody": _body("DeskTicketChange"),
                "responses": {"200": changed,
                              "400": _error("A field is invalid; `field` names it."),
                              "401": NO_AGENT, "404": NOT_FOUND,
                              "409": _error(f"{STALE}, or a closed ticket stays closed.")}}},
        "/api/v1/{tenant}/desk/tickets/{reference}/replies": {"post": {
            "summary": "Reply to the customer, or add an internal note",
            "operationId": "deskReply", "parameters": with_ref, "security": AGENT,
            "requestBody": _body("DeskReplyCreate"),
            "responses": {"201": _json(_ref("DeskReplyCreated"), "The new message."),
                          "400": _error("A field is invalid; `field` names it."),
                          "401": NO_AGENT, "404": NOT_FOUND,
                          "409": _error(f"{STALE}, or the ticket is closed.")}}},
        "/api/v1/{tenant}/desk/tickets/{reference}/merge": {"post": {
            "summary": "Merge a duplicate into another ticket of the same customer",
            "operationId": "deskMerge", "parameters": with_ref, "security": AGENT,
            "requestBody": _body("DeskMerge"),
            "responses": {"200": _json(_ref("DeskMerged"), "Merged: this ticket forwards."),
                          "400": _error("`into` is no ticket here, or this very ticket."),
                          "401": NO_AGENT, "404": NOT_FOUND,
                          "409": _error(f"{STALE}, either ticket is closed, or the two are"
                                        " different customers'.")}}},
    }  # fmt: skip


def _with_body_limits(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the 413 every call with a body may answer (intake.web.limits refuses a body over
    its limit before reading it)."""
    for item in paths.values():
        for operation in item.values():
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "413", _error("The body is larger than this call takes.")
                )
    return paths


def _with_second_factor(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the 403 every agent's call answers while its help center requires an authenticator
    app its agent has not set up (intake.api.agent_auth)."""
    for item in paths.values():
        for operation in item.values():
            if operation.get("security") == AGENT:
                operation["responses"].setdefault("403", _error(agent_auth.NO_SECOND_FACTOR))
    return paths


RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": INT}


def _with_common_answers(paths: dict[str, Any]) -> dict[str, Any]:
    """Add what every call may answer: Retry-After with a 429 (intake.web.limits) and a 503
    (intake.web.error_handlers: the database out of reach), WWW-Authenticate with an agent's
    401 (intake.api.agent_auth), and any other error (a 405, a 500) in the one shape."""
    for item in paths.values():
        for operation in item.values():
            responses = operation["responses"]
            responses.setdefault("503", _error("The database is out of reach for a moment."))
            for status in ("429", "503"):
                if status in responses:
                    responses[status] = {**responses[status],
                                         "headers": {"Retry-After": RETRY_AFTER}}  # fmt: skip
            if operation.get("security") == AGENT and "401" in responses:
                challenge = {"description": "Bearer: the call takes an agent's token.",
                             "schema": STR}  # fmt: skip
                responses["401"] = {**responses["401"], "headers": {"WWW-Authenticate": challenge}}
            responses.setdefault("default", _error("Any other error, such as 405 or 500."))
    return paths


def document() -> dict[str, Any]:
    """Return the whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "intake API",
            "version": "1.0.0",
            "description": "Tickets and the knowledge base of each tenant of the help center, "
            "and the agents' desk. "
            'Errors are {"error": {"message": ..., "field": ...}}.',
        },
        "paths": _with_common_answers(
            _with_body_limits(
                _with_second_factor({**_ticket_paths(), **_kb_paths(), **_desk_paths()})
            )
        ),
        # A text field marked "x-refused-code-points" refuses these characters (400 naming
        # the field): Unicode's control, format, surrogate and private-use characters but for
        # the joiners U+200C and U+200D, the noncharacters, and the line and paragraph
        # separators; multi-line text keeps tab, new line and return.
        "x-refused-code-points": {
            "single-line": list(rules.refused_ranges(multiline=False)),
            "multi-line": list(rules.refused_ranges(multiline=True)),
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "ticketToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token returned when the ticket was created (a"
                    " merge into this ticket voids it: its links then come by mail).",
                },
                "agentToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "itk_...",
                    "description": "An agent's API token, made in the desk; it acts as the"
                    " agent, and stops working when revoked or the agent is deactivated.",
                },
            },
        },
    }


@bp.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    """Serve the OpenAPI document."""
    return jsonify(document())
