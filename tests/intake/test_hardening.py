"""Malformed and oversized requests get a 4xx in the one error shape; logs keep no tokens."""

from __future__ import annotations

import gzip
import http.client
import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.customers.privacy import export_zip
from intake.models import TicketAttachment
from intake.state import state
from kbgen.config import RESERVED_TENANT_IDS, TENANT_RE
from tests.intake.conftest import PNG, api_ticket, ticket_form
from tests.intake.desk import signed_in
from tests.intake.test_desk_api import make_agent
from tests.live_server import serving

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def error_of(answer: Any) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = answer.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "field"}
    return body["error"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v1/eur/tickets", "OPTIONS, POST"),
        ("GET", "/api/v1/eur/tickets/EUR-1/replies", "OPTIONS, POST"),
        ("PUT", "/api/v1/eur/tickets", "OPTIONS, POST"),
        ("DELETE", "/api/v1/eur/kb/articles", "GET, HEAD, OPTIONS"),
    ],
)
def test_a_wrong_method_answers_405_saying_which_are_allowed(
    client: FlaskClient, method: str, path: str, allowed: str
) -> None:
    answer = client.open(path, method=method)
    assert answer.status_code == 405 and answer.headers["Allow"] == allowed
    assert error_of(answer)["message"] == "This method is not allowed here."
    options = client.open(path, method="OPTIONS")  # what a client asks before trying
    assert options.status_code == 200 and options.headers["Allow"] == allowed


def test_options_on_an_api_path_that_does_not_exist_is_not_found(client: FlaskClient) -> None:
    for path in ("/api/v1/eur/nonexistent", "/api/v1/eur/tickets/EUR-1/nothing"):
        answer = client.open(path, method="OPTIONS")
        assert answer.status_code == 404 and error_of(answer)["message"]
    assert client.open("/eur/", method="OPTIONS").headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/eur/tickets/", "/api/v1/eur/nope", "/api/v1/eur/kb/articles/..%2Fx/feedback",
     "/eur/no-such-page/"],
)  # fmt: skip
def test_another_method_on_a_path_nobody_serves_is_404_not_405(
    client: FlaskClient, path: str
) -> None:
    answer = client.post(path, json={})
    assert answer.status_code == 404, path
    site_page = client.post("/eur/")  # the site's page exists: that method is what is wrong
    assert site_page.status_code == 405 and "GET" in site_page.headers["Allow"]


def test_json_nested_too_deeply_is_a_400(client: FlaskClient) -> None:
    deep = "[" * 50_000 + "]" * 50_000  # 100 KB: within the body limit, past any stack
    answer = client.post("/api/v1/eur/tickets", data=deep, content_type="application/json")
    assert answer.status_code == 400
    assert error_of(answer)["message"] == "The body is no valid JSON: it is nested too deeply."


@pytest.mark.parametrize(
    ("body", "content_type", "message", "field"),
    [
        ('{"name": "Ada", "name": "Eve"}', "application/json",
         "name: given twice; send each field once.", "name"),
        ('{"name": "Ada"', "application/json",
         "The body is no valid JSON: Expecting ',' delimiter at line 1, column 15.", None),
        ('{"name": "Ada"} trailing', "application/json",
         "The body is no valid JSON: Extra data at line 1, column 17.", None),
        ('{"name": "Ada"}', "text/plain",
         "Send the body as JSON, with Content-Type: application/json.", None),
        ("name=Ada", "application/x-www-form-urlencoded",
         "Send the body as JSON, with Content-Type: application/json.", None),
        ("[1, 2]", "application/json", "The request body must be a JSON object.", None),
        # Python's reader takes these; JSON has no such numbers.
        ('{"name": NaN}', "application/json",
         "The body is no valid JSON: NaN is no JSON number.", None),
        ('{"name": -Infinity}', "application/json",
         "The body is no valid JSON: -Infinity is no JSON number.", None),
        ('{"name": "Ada"}', "application/problem+json",  # another type, though JSON
         "Send the body as JSON, with Content-Type: application/json.", None),
        # JSON between systems is UTF-8; Python's reader also guessed UTF-16 from the bytes.
        ('{"name": "Ada"}'.encode("utf-16"), "application/json",
         "The body is no valid JSON: it is not UTF-8.", None),
        # Python's own message named sys.set_int_max_str_digits().
        ('{"name": ' + "1" * 5000 + "}", "application/json",
         "The body is no valid JSON: a number has more than 30 digits.", None),
        ('{"name": -' + "1" * 31 + "}", "application/json",
         "The body is no valid JSON: a number has more than 30 digits.", None),
        ('{"name": 1e99999}', "application/json",  # Python reads it as infinity
         "The body is no valid JSON: a number is too large.", None),
    ],
)  # fmt: skip
def test_a_body_that_is_no_json_object_says_how(
    client: FlaskClient, body: str | bytes, content_type: str, message: str, field: str | None
) -> None:
    for url in ("/api/v1/eur/tickets", "/chat/eur/sessions"):
        answer = client.post(url, data=body, content_type=content_type,
                             headers={"Origin": "https://help.nimbus.example"})  # fmt: skip
        assert answer.status_code == 400, url
        assert error_of(answer) == {"message": message, "field": field}, url


def test_a_utf8_body_with_a_byte_order_mark_is_read(client: FlaskClient) -> None:
    # PowerShell's and .NET's clients send one; RFC 8259 lets a reader ignore it.
    body = "\ufeff" + json.dumps(ticket_form())
    answer = client.post("/api/v1/eur/tickets", data=body.encode(), content_type="application/json")
    assert answer.status_code == 201


def test_only_a_refusal_or_an_outage_says_when_to_come_back(client: FlaskClient) -> None:
    refused = client.post("/api/v1/eur/tickets", json={})  # a limited call, a bad body
    assert refused.status_code == 400 and "Retry-After" not in refused.headers


def test_a_newer_emoji_than_pythons_unicode_is_taken(client: FlaskClient) -> None:
    # U+1FA77 (pink heart) came with Unicode 15; Python 3.11 knows 14, where it is unassigned.
    sent = client.post("/api/v1/eur/tickets",
                       json=ticket_form(subject="Thanks \U0001fa77 for the fix"))  # fmt: skip
    assert sent.status_code == 201, sent.get_json()
    noncharacter = client.post("/api/v1/eur/tickets", json=ticket_form(subject="Odd \ufffe one"))
    assert noncharacter.status_code == 400


def test_a_compressed_body_is_refused_by_name(client: FlaskClient) -> None:
    body = json.dumps({"name": "Ada"}).encode()
    for url in ("/api/v1/eur/tickets", "/chat/eur/sessions"):
        answer = client.post(url, data=gzip.compress(body), content_type="application/json",
                             headers={"Content-Encoding": "gzip",
                                      "Origin": "https://help.nimbus.example"})  # fmt: skip
        assert answer.status_code == 400, url
        assert error_of(answer) == {
            "field": "Content-Encoding",
            "message": "Content-Encoding: send the body as it is, not gzip.",
        }


def test_text_bodies_are_limited_and_uploads_keep_theirs(client: FlaskClient) -> None:
    huge = {"name": "Ada", "email": "ada@example.com", "subject": "Big", "category": "billing",
            "description": "x" * (200 * 1024)}  # fmt: skip
    answer = client.post("/api/v1/eur/tickets", json=huge)
    assert answer.status_code == 413  # a call that takes no files is not told of uploads
    assert error_of(answer) == {"field": None,
                                "message": "The body is larger than this call takes."}  # fmt: skip
    # A form is refused before it is read, by its CSRF check too (which reads the form).
    form = {"email": "ada@example.com", "pad": "x" * (300 * 1024)}
    for url in ("/eur/tickets/recover", "/desk/eur/login", "/eur/tickets/suggestions/opened"):
        refused = client.post(url, data=form)
        assert refused.status_code == 413, url
        assert "The body is larger than this call takes." in refused.get_data(as_text=True)
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    # A call that reads no body is refused one larger than it takes all the same.
    big = b"x" * (3 * 1024 * 1024)
    ignored = client.post(f"/api/v1/eur/tickets/{ref}/resolve", headers=auth, data=big,
                          content_type="application/json")  # fmt: skip
    assert ignored.status_code == 413 and error_of(ignored)["message"]
    files = [(io.BytesIO(PNG + b"\x00" * (60 * 1024)), f"shot{i}.png") for i in range(3)]
    upload = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth,
                         data={"file": files}, content_type="multipart/form-data")  # fmt: skip
    assert upload.status_code == 201, upload.get_json()  # 180 KB: more than a text body


@pytest.mark.parametrize("digit", ["\u0663", "\uff13", "\u00b3"])  # Arabic-Indic, full-width, ³
def test_numbers_in_other_scripts_are_refused_not_crashed_on(
    client: FlaskClient, digit: str
) -> None:
    answer = client.get("/api/v1/eur/kb/search", query_string={"q": "refund", "limit": digit})
    assert answer.status_code == 400 and error_of(answer)["field"] == "limit"


HUGE = "9" * 30  # no row has such an id, and no database integer holds it


def test_ids_beyond_any_row_answer_404_or_400_never_500(app: Flask, client: FlaskClient) -> None:
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    desk = signed_in(app, "ana@example.com")
    for url, who in ((f"/api/v1/eur/tickets/{ref}/attachments/{HUGE}", client),
                     (f"/api/v1/eur/tickets/{ref}/attachments/{2**31}", client),
                     (f"/chat/eur/sessions/{HUGE}", client),
                     (f"/desk/eur/chats/{HUGE}", desk)):  # fmt: skip
        assert who.get(url, headers=auth).status_code == 404, url
    token = make_agent(app).token
    for digits in (HUGE, str(2**31), "\u0663"):
        queue = desk.get("/desk/eur/", query_string={"group": digits})
        assert queue.status_code == 400 and "group: use an id" in queue.get_data(as_text=True)
        api = client.get("/api/v1/eur/desk/tickets", query_string={"assignee": digits},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert api.status_code == 400 and error_of(api)["field"] == "assignee"


def uploaded(client: FlaskClient) -> tuple[str, dict[str, str], int]:
    """Open a ticket by the API and attach a PNG; return the ticket's files URL, the token's
    header and the file's id."""
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    files = f"/api/v1/eur/tickets/{ref}/attachments"
    sent = client.post(files, headers=auth, data={"file": (io.BytesIO(PNG), "shot.png")},
                       content_type="multipart/form-data")  # fmt: skip
    return files, auth, sent.get_json()["reply"]["attachments"][0]["id"]


def test_a_file_is_sent_whole_or_in_the_part_asked_for(client: FlaskClient) -> None:
    files, auth, file_id = uploaded(client)
    url = f"{files}/{file_id}"
    with client.get(url, headers=auth) as whole:
        assert whole.status_code == 200 and whole.data == PNG
        assert whole.headers["Accept-Ranges"] == "bytes"
    with client.get(url, headers={**auth, "Range": "bytes=4-11"}) as part:  # a resumed download
        assert part.status_code == 206 and part.data == PNG[4:12]
        assert part.headers["Content-Range"] == f"bytes 4-11/{len(PNG)}"
        assert part.headers["Cache-Control"] == "private, no-store"
    with client.get(url, headers={**auth, "Range": f"bytes={len(PNG) + 5}-"}) as past:
        assert past.status_code == 416
    for odd in ("bytes=0-0,5-9", "bytes=abc", "lines=1-2"):  # no single byte range: the whole
        with client.get(url, headers={**auth, "Range": odd}) as whole:
            assert whole.status_code == 200 and whole.data == PNG, odd
            assert whole.headers["Cache-Control"] == "private, no-store"


def test_a_file_kept_under_another_ending_is_sent_under_its_types(
    app: Flask, client: FlaskClient
) -> None:
    """A file stored before names followed types (or by any other way) is sent, previewed and
    exported under its type's ending too."""
    files, auth, file_id = uploaded(client)
    with state(app).db.write("eur") as session:
        item = session.get(TicketAttachment, file_id)
        assert item is not None
        item.original_name = "invoice.html"
    for url in (f"{files}/{file_id}", f"{files}/{file_id}/preview"):
        with client.get(url, headers=auth) as got:
            if got.status_code == 404:  # no preview address in the API: the page's below
                continue
            assert "filename=invoice.html.png" in got.headers["Content-Disposition"], url
    with state(app).db.read("eur") as session:
        data = export_zip(session, state(app).files, "ada@example.com")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert any(n.endswith(f"/{file_id}-invoice.html.png") for n in names), names


def test_an_upload_refuses_fields_it_does_not_take(client: FlaskClient) -> None:
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    url = f"/api/v1/eur/tickets/{ref}/attachments"
    for extra, field in (({"message": "Here it is"}, "message"),
                         ({"body": ["One", "Two"]}, "body")):  # fmt: skip
        data = {"file": (io.BytesIO(PNG), "shot.png"), **extra}
        answer = client.post(url, headers=auth, data=data, content_type="multipart/form-data")
        assert answer.status_code == 400 and error_of(answer)["field"] == field, extra
    data = {"file": (io.BytesIO(PNG), "shot.png"), "body": "Here it is"}
    sent = client.post(url, headers=auth, data=data, content_type="multipart/form-data")
    assert sent.status_code == 201 and sent.get_json()["reply"]["body"] == "Here it is"


def test_an_id_in_a_path_is_plain_digits_only(client: FlaskClient) -> None:
    files, auth, file_id = uploaded(client)
    url = f"{files}/"
    with client.get(f"{url}{file_id}", headers=auth) as got:
        assert got.status_code == 200
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in str(file_id))  # １ for 1
    for spelled in (f"0{file_id}", full_width, f"\u0661{file_id}", f"+{file_id}"):
        with client.get(f"{url}{spelled}", headers=auth) as got:
            assert got.status_code == 404, spelled


def test_an_upload_of_only_empty_file_parts_is_refused(client: FlaskClient) -> None:
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    empty = {"file": (io.BytesIO(b""), "")}
    answer = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth, data=empty,
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400 and error_of(answer)["field"] == "file"


@pytest.mark.parametrize(
    ("name", "data", "offered", "kind"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "page.html.txt", "text/plain"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
         "logo.svg.txt", "text/plain"),
        ("notes.txt", b"plain notes", "notes.txt", "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "data.csv", "text/plain"),
        # A real image or PDF with a script after it: its name ends as its type
        ("invoice.html", PNG + b"<script>alert(1)</script>", "invoice.html.png", "image/png"),
        ("setup.hta", PNG, "setup.hta.png", "image/png"),
        ("report.svg", b"%PDF-1.4\n<svg><script>x()</script></svg>", "report.svg.pdf",
         "application/pdf"),
        ("Photo.JPG", JPEG, "Photo.JPG", "image/jpeg"),
        ("scan.PDF", b"%PDF-1.7\n" + b"0" * 64, "scan.PDF", "application/pdf"),
    ],
)  # fmt: skip
def test_a_file_is_offered_under_its_types_ending(
    client: FlaskClient, name: str, data: bytes, offered: str, kind: str
) -> None:
    created = api_ticket(client)
    ref, auth = created["ticket"]["reference"], {"Authorization": f"Bearer {created['token']}"}
    upload = {"file": (io.BytesIO(data), name)}
    sent = client.post(f"/api/v1/eur/tickets/{ref}/attachments", headers=auth, data=upload,
                       content_type="multipart/form-data")  # fmt: skip
    item = sent.get_json()["reply"]["attachments"][0]
    assert item["name"] == offered and item["content_type"] == kind
    with client.get(f"/api/v1/eur/tickets/{ref}/attachments/{item['id']}", headers=auth) as got:
        assert offered in got.headers["Content-Disposition"]
        assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_the_error_log_keeps_no_ticket_token(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api_ticket(client)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("intake.portal.views.split_files", broken)
    with caplog.at_level(logging.ERROR):
        answer = client.get(created["url"].removeprefix("http://desk.test"))
    assert answer.status_code == 500
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "[token]" in logged and created["token"] not in logged


def test_the_static_sites_404_can_be_cached_like_its_pages(client: FlaskClient) -> None:
    answer = client.get("/eur/no-such-page/")
    assert answer.status_code == 404 and answer.headers["Cache-Control"] == "public, max-age=60"
    outside = client.get("/no-such-tenant-page")  # no tenant's 404 page: the service's own
    assert outside.status_code == 404 and outside.headers["Cache-Control"] == "no-cache"


def test_theme_files_are_kept_a_year_by_name_and_answers_compressed(
    client: FlaskClient, kb_root: Path
) -> None:
    names = json.loads((kb_root / "site" / "eur" / "assets" / "manifest.json").read_text())
    accept = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    hashed = client.get(f"/eur/assets/{names['style.css']}", headers=accept)
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert hashed.headers["Content-Encoding"] in ("zstd", "br", "gzip")
    plain = client.get("/eur/assets/style.css")  # a name that outlives its bytes: a minute
    assert plain.headers["Cache-Control"] == "public, max-age=60"
    gone = client.get("/eur/assets/style.0123456789.css")  # no such build's file: not kept
    assert gone.status_code == 404 and gone.headers["Cache-Control"] == "public, max-age=60"
    page = client.get("/eur/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    assert f'href="/eur/assets/{names["style.css"]}"'.encode() in gzip.decompress(page.data)
    # The service's own pages hold tokens beside what a request chose: never compressed, so
    # their length tells nothing of the token (BREACH).
    form = client.get("/eur/tickets/new", headers=accept)
    assert "Content-Encoding" not in form.headers
    assert f'href="/eur/assets/{names["style.css"]}"' in form.get_data(as_text=True)
    # Nor is a live stream held back to be compressed: its frames go out as they come.
    created = api_ticket(client)
    reference, token = created["ticket"]["reference"], created["token"]
    stream = client.get(f"/eur/tickets/{reference}/{token}/events", headers=accept,
                        buffered=False)  # fmt: skip
    assert "Content-Encoding" not in stream.headers
    first = next(stream.iter_encoded())
    stream.close()
    assert first.startswith(b"retry: ")


def test_a_folder_without_a_page_is_a_404_not_a_redirect_to_one(client: FlaskClient) -> None:
    for path in ("/eur/articles", "/eur/articles/"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Location" not in answer.headers
    assert client.get("/eur/faq").headers["Location"] == "/eur/faq/"  # a folder with its page


def test_the_hosts_icon_is_its_tenants_favicon(client: FlaskClient) -> None:
    answer = client.get("/favicon.ico")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/eur/images/brand/favicon.svg"
    assert client.get(answer.headers["Location"]).status_code == 200


def test_the_hosts_robots_txt_names_its_tenants_sitemaps_and_keeps_the_service_out(
    client: FlaskClient,
) -> None:
    """Crawlers read /robots.txt at the root only; each site's own is under its base path."""
    answer = client.get("/robots.txt", base_url="https://support.kestrel.example")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /desk/", "Disallow: /api/", "Disallow: /km/tickets/"} <= set(lines)
    assert "Sitemap: https://support.kestrel.example/km/sitemap.xml" in lines
    assert not any("/eur/" in line for line in lines)  # another host's tenant
    sitemap = client.get("/km/sitemap.xml")
    assert sitemap.status_code == 200  # what it names is there
    elsewhere = client.get("/robots.txt").get_data(as_text=True)  # a host of no tenant's
    for line in ("Sitemap: https://help.nimbus.example/eur/sitemap.xml",
                 "Sitemap: https://support.kestrel.example/km/sitemap.xml",
                 "Disallow: /eur/tickets/", "Disallow: /km/tickets/"):  # fmt: skip
        assert line in elsewhere.splitlines()


def test_a_chunked_body_is_held_to_the_limit_a_sized_one_is(app: Flask) -> None:
    """A body sent in chunks has no length to refuse up front: past the limit it is a 413
    too, never read cut short (a ticket made of its first 128 KB)."""

    def post(body: bytes) -> tuple[int, bytes]:
        with serving(app) as url:
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            parts = (body[i : i + 65536] for i in range(0, len(body), 65536))
            conn.request("POST", "/api/v1/eur/tickets", body=parts, encode_chunked=True,
                         headers={"Content-Type": "application/json",
                                  "Transfer-Encoding": "chunked"})  # fmt: skip
            answer = conn.getresponse()
            status, data = answer.status, answer.read()
            conn.close()
        return status, data

    ticket = json.dumps(ticket_form()).encode()
    status, data = post(ticket + b" " * (1024 * 1024) + b"GARBAGE")
    assert status == 413 and json.loads(data)["error"]["field"] is None
    assert post(ticket)[0] == 201  # a small one in chunks is taken


def test_no_tenant_id_kbgen_takes_is_a_path_of_the_service(app: Flask) -> None:
    """kbgen refuses tenant ids that are the service's own first path segments: each segment
    of the URL map that a tenant id could spell is in its list."""
    segments = {rule.rule.split("/")[1] for rule in app.url_map.iter_rules()}
    spellable = {s for s in segments if TENANT_RE.match(s)}
    assert spellable == RESERVED_TENANT_IDS
