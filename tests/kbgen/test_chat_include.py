"""site.yaml's chat_url puts the chat widget on every page of that tenant's site, and only then."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kbgen.build import build
from kbgen.config import BuildOptions
from tests.conftest import Project
from tests.kbgen.test_mistakes import problems

TODAY = dt.date(2026, 11, 25)
PAGES = {
    "home": "index.html",
    "article": "articles/welcome/index.html",
    "FAQ": "faq/index.html",
    "FAQ entry": "faq/refunds/index.html",
    "category": "categories/getting-started/index.html",
    "search": "search/index.html",
    "404": "404.html",
}


class _Tags(HTMLParser):
    """Collect the stylesheet links and scripts of a page, each with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._where = ""
        self.places: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("head", "body"):
            self._where = tag
        if tag == "link" and values.get("rel") == "stylesheet":
            self.styles.append(str(values.get("href")))
            self.places[str(values.get("href"))] = self._where
        if tag == "script" and values.get("src"):
            self.scripts.append(values)
            self.places[str(values["src"])] = self._where


def tags(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def with_chat_url(project: Project, value: str, tenant: str = "eur") -> None:
    """Give one tenant of the fixture's site.yaml a chat_url line."""
    text = (project.root / "content/site.yaml").read_text()
    prefix = "EUR" if tenant == "eur" else "KM"
    line = f"ticket_prefix: {prefix}\n"
    project.write("content/site.yaml", text.replace(line, f"{line}    chat_url: {value}\n"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a two-tenant project where only eur has a chat, and return its site folder."""
    project = Project(tmp_path_factory.mktemp("chat"))
    for tenant in ("eur", "km"):
        front = "title: Welcome\ncategory: getting_started"
        project.article("start/welcome.md", front, tenant=tenant)
        project.faq("refunds.md", "question: Refunds?\ncategory: billing", tenant=tenant)
    with_chat_url(project, "https://desk.test/")
    build(BuildOptions(root=project.root, today=TODAY))
    return project.root / "site"


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_a_tenant_with_chat_url_gets_the_widget_on_every_page(built: Path, page: str) -> None:
    found = tags(built / "eur" / page)
    # The widget loads its own styles: nothing of the service's holds up the page's showing.
    assert not [href for href in found.styles if "/_intake/" in str(href)]
    [script] = [s for s in found.scripts if str(s["src"]).endswith("/chat.js")]
    assert script == {
        "src": "https://desk.test/_intake/static/chat.js",
        "defer": None,
        "data-chat-url": "https://desk.test/",
        "data-tenant": "eur",
    }
    assert found.places[str(script["src"])] == "body"


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_a_tenant_without_chat_url_gets_no_widget(built: Path, page: str) -> None:
    text = (built / "km" / page).read_text(encoding="utf-8")
    assert "chat.js" not in text and "chat.css" not in text and "data-chat-url" not in text


def test_redirect_pages_stay_bare(project: Project) -> None:
    project.article(
        "start/welcome.md", "title: Welcome\ncategory: general\nredirect_from: [/eur/old/]"
    )
    with_chat_url(project, "/")
    build(BuildOptions(root=project.root, tenants=("eur",), today=TODAY))
    assert "chat.js" not in (project.root / "site/eur/old/index.html").read_text()


def test_slash_means_the_site_s_own_host(project: Project) -> None:
    with_chat_url(project, "/")
    build(BuildOptions(root=project.root, tenants=("eur",), today=TODAY))
    found = tags(project.root / "site/eur/index.html")
    [script] = [s for s in found.scripts if str(s["src"]).endswith("/chat.js")]
    assert script["src"] == "/_intake/static/chat.js"
    assert script["data-chat-url"] == "/"


def test_the_widget_does_not_change_between_builds(project: Project) -> None:
    with_chat_url(project, "https://desk.test")
    outputs = []
    for _ in range(2):
        build(BuildOptions(root=project.root, tenants=("eur",), today=TODAY))
        outputs.append((project.root / "site/eur/index.html").read_bytes())
    assert outputs[0] == outputs[1]
    assert b'data-chat-url="https://desk.test"' in outputs[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("desk.test", "'desk.test' is not an http(s) URL or a path starting with /"),
        ("ftp://desk.test", "'ftp://desk.test' is not an http(s) URL or a path starting with /"),
        ("//desk.test", "'//desk.test' is not an http(s) URL or a path starting with /"),
        (
            "https://desk.test/?x=1",
            "'https://desk.test/?x=1' has a query or fragment; give the service's URL",
        ),
    ],
)
def test_a_bad_chat_url_is_a_located_error(project: Project, value: str, message: str) -> None:
    with_chat_url(project, value, tenant="km")
    assert problems(project) == [f"content/site.yaml:14: tenants.km.chat_url: {message}"]


def test_a_misspelt_key_is_a_located_error(project: Project) -> None:
    text = (project.root / "content/site.yaml").read_text()
    typo = text.replace("ticket_prefix: KM\n", "ticket_prefix: KM\n    chat_ulr: /\n")
    project.write("content/site.yaml", typo)
    [found] = problems(project)
    assert (
        found
        == "content/site.yaml:14: tenants.km.chat_ulr: unknown field; did you mean 'chat_url'?"
    )
    assert "chat_url" in found


def test_empty_chat_url_means_no_chat(project: Project) -> None:
    with_chat_url(project, '""')
    build(BuildOptions(root=project.root, tenants=("eur",), today=TODAY))
    assert "chat.js" not in (project.root / "site/eur/index.html").read_text()
