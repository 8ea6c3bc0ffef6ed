"""Read a built static site the way a browser and a crawler would, for the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class PageInfo:
    links: list[str] = field(default_factory=list)  # href and src values
    ids: set[str] = field(default_factory=set)
    headings: list[int] = field(default_factory=list)
    lang: str = ""
    title: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.info = PageInfo()
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "link") and values.get("href"):
            if tag == "a" or values.get("rel") == "stylesheet":
                self.info.links.append(str(values["href"]))
        if tag in ("img", "script") and values.get("src"):
            self.info.links.append(str(values["src"]))
        if values.get("id"):
            self.info.ids.add(str(values["id"]))
        if tag == "html":
            self.info.lang = values.get("lang") or ""
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.info.headings.append(int(tag[1]))
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.info.title += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False


def parse_page(path: Path) -> PageInfo:
    """Return the links, ids, heading levels and language of one HTML file."""
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.info


def url_to_file(site: Path, url: str) -> Path | None:
    """Map a root-relative URL of the served `site/` folder to the file it serves."""
    path = urlsplit(url).path
    if not path.startswith("/"):
        return None
    target = site / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target
