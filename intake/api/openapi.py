"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Every request and response body is a pydantic model of intake.api.schemas, the same ones the
views validate with and answer through, so the document cannot drift from them; tests check
that its paths are the app's /api/v1 routes and that real answers match its schemas.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic.json_schema import models_json_schema

from intake.api.schemas import REQUEST_MODELS, RESPONSE_MODELS
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
            "schema": {"type": "string", "enum": [c.value for c in KbCategory]}}  # fmt: skip
BEARER: list[dict[str, list[str]]] = [{"ticketToken": []}]
NOT_FOUND = _error("No such tenant, ticket or item (all answer alike).")


def _schemas() -> dict[str, Any]:
    models = [(m, "validation") for m in REQUEST_MODELS]
    models += [(m, "serialization") for m in RESPONSE_MODELS]
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
                "201": _json(_ref("TicketCreated"),
                             "Created: keep the token, it is the only key to the ticket."),
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
                          "409": _error("The ticket is closed.")}}},
        "/api/v1/{tenant}/tickets/{reference}/resolve": {"post": {
            "summary": "Mark a ticket resolved", "operationId": "resolveTicket",
            "parameters": with_ref, "security": BEARER,
            "responses": {"200": summary_out, "401": _error("No token sent."), "404": NOT_FOUND}}},
        "/api/v1/{tenant}/tickets/{reference}/attachments": {"post": {
            "summary": "Attach files", "operationId": "attachFiles",
            "parameters": with_ref, "security": BEARER,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _obj(
                {"file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                 "body": STR}, ["file"])}}},
            "responses": {"201": reply_out, "400": _error("A file is refused; `field` is file."),
                          "401": _error("No token sent."), "404": NOT_FOUND,
                          "413": _error("The upload is too large.")}}},
        "/api/v1/{tenant}/tickets/{reference}/attachments/{attachment_id}": {"get": {
            "summary": "Download a file", "operationId": "downloadAttachment",
            "parameters": [*with_ref, {"name": "attachment_id", "in": "path", "required": True,
                                       "schema": INT}],
            "security": BEARER,
            "responses": {"200": {"description": "The file, as an attachment download.",
                                  "content": {"application/octet-stream": {"schema": {
                                      "type": "string", "format": "binary"}}}},
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
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")}}},
    }  # fmt: skip


def document() -> dict[str, Any]:
    """Return the whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "intake API",
            "version": "1.0.0",
            "description": "Tickets and the knowledge base of each tenant of the help center. "
            'Errors are {"error": {"message": ..., "field": ...}}.',
        },
        "paths": {**_ticket_paths(), **_kb_paths()},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "ticketToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token returned when the ticket was created.",
                }
            },
        },
    }


@bp.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    """Serve the OpenAPI document."""
    return jsonify(document())
