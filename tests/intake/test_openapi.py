"""The OpenAPI document validates and describes exactly the app's /api/v1 routes."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from intake.models import Agent, TicketStatus
from intake.state import state
from intake.tickets.agent_work import Changes, change_fields
from intake.tickets.loading import ticket_by_reference
from tests.intake.conftest import PNG, api_ticket, ticket_form
from tests.intake.desk import make_agent
from tests.intake.test_lifecycle import DESK


def test_the_document_is_valid_openapi(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_documented_paths_and_methods_match_the_routes_exactly(
    client: FlaskClient, app: Flask
) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routed |= {(path, m) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    assert documented == routed


def test_every_path_parameter_is_declared(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def _validator(doc: dict[str, Any], path: str, method: str, status: int) -> Draft202012Validator:
    """Return a validator of the body the document promises for that answer."""
    answer = doc["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_real_answers_match_their_documented_schemas(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    seen: set[tuple[str, str, int]] = set()

    def check(response: Any, path: str, method: str) -> Any:
        body = response.get_json()
        _validator(doc, path, method, response.status_code).validate(body)
        seen.add((path, method, response.status_code))
        return body

    tickets, one = "/api/v1/{tenant}/tickets", "/api/v1/{tenant}/tickets/{reference}"
    created = check(client.post("/api/v1/eur/tickets", json=ticket_form()), tickets, "post")
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    check(client.post("/api/v1/eur/tickets", json={"name": ""}), tickets, "post")
    check(client.get(f"/api/v1/eur/tickets/{ref}", headers=auth), one, "get")
    check(client.get(f"/api/v1/eur/tickets/{ref}"), one, "get")
    check(client.get("/api/v1/eur/tickets/EUR-1", headers=auth), one, "get")
    replies = one + "/replies"
    check(client.post(f"/api/v1/eur/tickets/{ref}/replies", json={"body": "More."}, headers=auth),
          replies, "post")  # fmt: skip
    check(client.post(f"/api/v1/eur/tickets/{ref}/replies", json={}, headers=auth),
          replies, "post")  # fmt: skip
    check(client.post(
        f"/api/v1/eur/tickets/{ref}/attachments", headers=auth, content_type="multipart/form-data",
        data={"file": (io.BytesIO(PNG), "a.png")}), one + "/attachments", "post")  # fmt: skip
    read = check(client.get(f"/api/v1/eur/tickets/{ref}", headers=auth), one, "get")
    assert read["ticket"]["replies"][1]["attachments"][0]["name"] == "a.png"
    check(client.post(f"/api/v1/eur/tickets/{ref}/resolve", headers=auth), one + "/resolve", "post")
    search = "/api/v1/{tenant}/kb/search"
    check(client.get("/api/v1/eur/kb/search?q=refund"), search, "get")
    check(client.get("/api/v1/eur/kb/search?q=refund&limit=99"), search, "get")
    articles = check(client.get("/api/v1/eur/kb/articles"), "/api/v1/{tenant}/kb/articles", "get")
    check(client.get("/api/v1/eur/kb/faqs?category=billing"), "/api/v1/{tenant}/kb/faqs", "get")
    slug = articles["articles"][0]["slug"]
    feedback = "/api/v1/{tenant}/kb/articles/{slug}/feedback"
    check(client.post(f"/api/v1/eur/kb/articles/{slug}/feedback", json={"helpful": True}),
          feedback, "post")  # fmt: skip
    check(client.post("/api/v1/eur/kb/articles/nope/feedback", json={"helpful": True}),
          feedback, "post")  # fmt: skip
    assert {status for _, _, status in seen} >= {200, 201, 400, 401, 404}


def _intervals(ranges: list[str]) -> list[tuple[int, int]]:
    """Return the listed ranges ("U+0000-U+001F", "U+00AD") as (first, last) code points."""
    found = []
    for item in ranges:
        first, _, last = item.partition("-")
        found.append((int(first[2:], 16), int((last or first)[2:], 16)))
    return found


def _listed(intervals: list[tuple[int, int]], point: int) -> bool:
    return any(first <= point <= last for first, last in intervals)


def test_the_listed_code_points_are_the_ones_the_api_refuses(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    rules = doc["x-refused-code-points"]
    fields = doc["components"]["schemas"]["TicketCreate"]["properties"]
    assert fields["subject"]["x-refused-code-points"] == "single-line"
    assert fields["description"]["x-refused-code-points"] == "multi-line"
    single, multi = _intervals(rules["single-line"]), _intervals(rules["multi-line"])
    for point in (0x00, 0x0A, 0xAD, 0x2028, 0x2029, 0xE000, 0x10FFFF):
        assert _listed(single, point), hex(point)
    for point in [first for first, _last in single[::25]] + [0x0A, 0x2029, 0xAD]:
        sent = client.post("/api/v1/eur/tickets",
                           json=ticket_form(subject=f"Refund {chr(point)} please"))  # fmt: skip
        assert sent.status_code == 400, hex(point)
        assert sent.get_json()["error"]["field"] == "subject", hex(point)
    for point in (0x09, 0x0A):  # kept in multi-line text, refused on one line
        assert _listed(single, point) and not _listed(multi, point)
        kept = client.post("/api/v1/eur/tickets", json=ticket_form(
            description=f"Line one{chr(point)}line two of the description"))  # fmt: skip
        assert kept.status_code == 201, hex(point)
    for text in ("Zoë’s invoice", "Emoji 👩\u200d💻 ok", "می\u200cخواهم"):  # joiners stay
        assert not any(_listed(single, ord(c)) for c in text)
        assert client.post("/api/v1/eur/tickets", json=ticket_form(subject=text)).status_code == 201
    # In a customer's own text a joiner may stand anywhere (a Persian word before a space,
    # an emoji sequence at the end): refused, the customer could not see what to remove.
    for text in ("کتاب\u200c ها را", "Thanks 👍\u200d"):
        sent = client.post(
            "/api/v1/eur/tickets", json=ticket_form(subject=text, description=f"{text} ok")
        )
        assert sent.status_code == 201, ascii(text)


def test_every_call_with_a_body_documents_and_answers_413(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    with_body = [(path, method) for path, item in doc["paths"].items()
                 for method, operation in item.items() if "requestBody" in operation]  # fmt: skip
    assert len(with_body) >= 5
    for path, method in with_body:
        assert "413" in doc["paths"][path][method]["responses"], (path, method)
    huge = {"name": "Ada", "description": "x" * (2 * 1024 * 1024)}  # over every text limit
    answer = client.post("/api/v1/eur/tickets", json=huge)
    assert answer.status_code == 413 and "error" in answer.get_json()


def test_what_a_closed_ticket_answers_is_in_the_document(app: Flask, client: FlaskClient) -> None:
    """Every customer action on a closed ticket answers a status its operation documents."""
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    agent = make_agent(app, "agent@example.com")
    with state(app).db.write("eur") as session:
        ticket = ticket_by_reference(session, ref)
        change_fields(session, ticket, session.get_one(Agent, agent),
                      Changes(status=TicketStatus.closed), DESK)  # fmt: skip
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    base = f"/api/v1/eur/tickets/{ref}"
    for action, sent in (
        ("replies", {"json": {"body": "Hello again"}}),
        ("resolve", {}),
        ("attachments", {"data": {"file": (io.BytesIO(b"notes"), "n.txt")}}),
    ):
        answer = client.post(f"{base}/{action}", headers=auth, **sent)
        documented = paths[f"/api/v1/{{tenant}}/tickets/{{reference}}/{action}"]["post"]
        assert str(answer.status_code) in documented["responses"], (action, answer.status_code)


def _enums(node: Any) -> list[list[Any]]:
    """Return every enum in a JSON document."""
    if isinstance(node, dict):
        found = [node["enum"]] if isinstance(node.get("enum"), list) else []
        return found + [e for value in node.values() for e in _enums(value)]
    return [e for value in node for e in _enums(value)] if isinstance(node, list) else []


def test_documented_headers_are_sent_and_enums_list_each_value_once(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert all(len(enum) == len({json.dumps(v) for v in enum}) for enum in _enums(doc))
    create = doc["paths"]["/api/v1/{tenant}/tickets"]["post"]["responses"]
    created = client.post("/api/v1/eur/tickets", json=ticket_form())
    assert set(create["201"]["headers"]) == {"Location"} and created.headers["Location"]
    queue = doc["paths"]["/api/v1/{tenant}/desk/tickets"]["get"]["responses"]
    refused = client.get("/api/v1/eur/desk/tickets")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"]
    assert "WWW-Authenticate" in queue["401"]["headers"]
    for item in doc["paths"].values():
        for operation in item.values():
            answers = operation["responses"]
            assert "default" in answers and "Retry-After" in answers["503"]["headers"]
            assert "429" not in answers or "Retry-After" in answers["429"]["headers"]
