"""Render one document's Markdown to HTML, rewriting .md links to page URLs as it goes."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from kbgen.errors import Problem, Severity
from kbgen.load import Source
from kbgen.markup import markdown


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


@dataclass(frozen=True)
class AnchorRef:
    """A link to a heading of another document, checked once every document is rendered."""

    target: str  # the target document's path under content/<tenant>/
    anchor: str
    line: int


@dataclass(frozen=True)
class LinkTable:
    """Where every document and asset of a tenant ends up, for rewriting relative links."""

    pages: Mapping[str, str]  # "articles/a/b.md" -> "/eur/articles/b/"
    assets: frozenset[str]  # "images/x.svg"
    base_path: str  # "/eur/"
    unpublished: frozenset[str] = frozenset()  # drafts and scheduled articles left out

    def lookup(self, rel: str) -> str:
        """Return what a link to `rel` resolves to now: a URL, "asset", "unpublished" or "missing".

        A cached rendering stays valid while every target it linked still resolves the same way.
        """
        if rel in self.pages:
            return self.pages[rel]
        if rel in self.assets:
            return "asset"
        return "unpublished" if rel in self.unpublished else "missing"


@dataclass
class Rendered:
    """One document's HTML and what the later stages need to know about it."""

    html: str
    headings: list[Heading]
    text: str  # plain text without markup, for search indexes
    anchor_refs: list[AnchorRef] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    deps: dict[str, str] = field(default_factory=dict)  # target path -> LinkTable.lookup()


def _children(token: Token, body_line: int) -> Iterator[tuple[Token, int]]:
    """Yield an inline token's children with their 1-based line in the source file."""
    line = body_line + (token.map[0] if token.map else 0)
    for child in token.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        yield child, line


def _heading_text(tokens: Sequence[Token], index: int) -> str:
    inline = tokens[index + 1]
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


class _Resolver:
    """Rewrites one document's links and images, and records what they point at."""

    def __init__(self, source: Source, table: LinkTable, out: Rendered) -> None:
        self.source, self.table, self.out = source, table, out
        self.here = str(source.rel)
        self.folder = posixpath.dirname(self.here)

    def problem(self, line: int, field_name: str, msg: str) -> None:
        self.out.problems.append(Problem(self.source.display, line, field_name, msg))

    def target(self, path: str, line: int, what: str) -> str | None:
        resolved = posixpath.normpath(posixpath.join(self.folder, unquote(path)))
        if resolved.startswith("../") or resolved == "..":
            self.problem(line, what, f"{path!r} points outside this tenant's content folder")
            return None
        return resolved

    def link(self, token: Token, line: int) -> None:
        href = str(token.attrGet("href") or "")
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.scheme in ("http", "https"):
                token.attrSet("rel", "noopener")
            return
        if not parts.path:
            if parts.fragment:
                self.out.anchor_refs.append(AnchorRef(self.here, unquote(parts.fragment), line))
            return
        if parts.path.startswith("/"):
            return  # a site path the writer chose on purpose, e.g. /eur/search/
        resolved = self.target(parts.path, line, "link")
        if resolved is None:
            return
        found = self.out.deps[resolved] = self.table.lookup(resolved)
        if resolved.endswith(".md"):
            url = self.table.pages.get(resolved)
            if url is None:
                why = "is not published" if found == "unpublished" else "does not exist"
                self.problem(line, "link", f"{href!r}: {resolved} {why}")
                return
            if parts.fragment:
                self.out.anchor_refs.append(AnchorRef(resolved, unquote(parts.fragment), line))
                url = url.split("#")[0] + "#" + parts.fragment
            token.attrSet("href", url)
        elif resolved in self.table.assets:
            self.out.assets.add(resolved)
            token.attrSet("href", self.table.base_path + resolved)
        else:
            self.problem(line, "link", f"{href!r}: {resolved} does not exist")

    def image(self, token: Token, line: int) -> None:
        src = str(token.attrGet("src") or "")
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or src.startswith("/"):
            return
        resolved = self.target(parts.path, line, "image")
        if resolved is None:
            return
        if (found := self.table.lookup(resolved)) != "asset":
            self.out.deps[resolved] = found
            self.problem(line, "image", f"{src!r}: {resolved} does not exist")
            return
        self.out.assets.add(resolved)
        self.out.deps[resolved] = found
        token.attrSet("src", self.table.base_path + resolved)
        token.attrSet("loading", "lazy")


def _check_level(out: Rendered, source: Source, level: int, line: int) -> None:
    """Warn about headings out of order: screen-reader users navigate by them."""
    previous = out.headings[-1].level if out.headings else 1
    if level == 1:
        msg = "the title is the page's only level-1 heading; start sections at ##"
    elif level > previous + 1:
        msg = f"a level-{level} heading follows level {previous}; use {'#' * (previous + 1)}"
    else:
        return
    out.problems.append(Problem(source.display, line, "heading", msg, Severity.WARNING))


def render_source(source: Source, table: LinkTable, allow_html: bool) -> Rendered:
    """Render a document's body; collect its headings, plain text, links and problems."""
    md = markdown(allow_html)
    env: dict[str, Any] = {}
    tokens = md.parse(source.body, env)
    out = Rendered(html="", headings=[], text="")
    resolver = _Resolver(source, table, out)
    texts: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _heading_text(tokens, index)
            level = int(token.tag[1])
            line = source.body_line + (token.map[0] if token.map else 0)
            _check_level(out, source, level, line)
            out.headings.append(Heading(level, text, str(token.attrGet("id"))))
        elif token.type in ("fence", "code_block"):
            texts.append(token.content)
        elif token.type == "inline":
            words: list[str] = []  # one block's text: inline pieces join without spaces
            for child, line in _children(token, source.body_line):
                if child.type == "link_open":
                    resolver.link(child, line)
                elif child.type == "image":
                    resolver.image(child, line)
                elif child.type in ("text", "code_inline"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
            texts.append("".join(words))
    out.html = md.renderer.render(tokens, md.options, env)
    out.text = " ".join(" ".join(texts).split())
    return out
