"""Render one document's Markdown to HTML, rewriting .md links to page URLs as it goes."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from markdown_it.token import Token

from kbgen import body_checks
from kbgen.errors import Problem, Severity
from kbgen.load import Document
from kbgen.markup import NESTING, PAGE_IDS, markdown
from kbgen.schema import nearest
from kbgen.urls import GENERATED_FOLDERS, file_url, served_file
from kbgen.vocabulary import spelled_words


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
    site_files: frozenset[str] = frozenset()  # every file the site will have: "faq/index.html"
    service_path: str = ""  # where the service's pages start under base_path: "/eur/tickets/"

    def lookup(self, rel: str) -> str:
        """Return what a link to `rel` resolves to now: a URL, "asset", "unpublished" or "missing"
        (for a root-relative path: "site" or "missing").

        A cached rendering stays valid while every target it linked still resolves the same way.
        """
        if rel.startswith("/"):
            return "site" if self.serves(rel) else "missing"
        if rel in self.pages:
            return self.pages[rel]
        if rel in self.assets:
            return "asset"
        return "unpublished" if rel in self.unpublished else "missing"

    def is_folder(self, rel: str) -> bool:
        """Say whether `rel` is a folder of the tenant's content ("images"), not a file."""
        inside = rel.rstrip("/") + "/"
        return any(path.startswith(inside) for path in (*self.pages, *self.assets))

    def covers(self, path: str) -> bool:
        """Say whether a root-relative path is this site's to check: under its base path, in a
        folder the build writes (a site at the host's root shares it with the service's /api/
        and /desk/), and not among the service's pages (the ticket form's folder)."""
        if not path.startswith(self.base_path):
            return False
        if self.service_path and path.startswith(self.service_path):
            return False
        first = path.removeprefix(self.base_path).split("/", 1)[0]
        return first == "" or first in self._folders

    def serves(self, path: str) -> bool:
        """Say whether the site will have a file at a root-relative path under its base."""
        file = served_file(path.removeprefix(self.base_path))
        return file in self.site_files or file.split("/", 1)[0] in GENERATED_FOLDERS

    def page_of(self, path: str) -> str | None:
        """Return the document (content path) whose page a root-relative path is, if any."""
        return self._documents.get(path)

    # Derived once per table, not per link: a site of thousands of pages has as many files.
    @functools.cached_property
    def _folders(self) -> frozenset[str]:
        return frozenset(f.split("/", 1)[0] for f in self.site_files) | GENERATED_FOLDERS

    @functools.cached_property
    def _documents(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for rel, url in self.pages.items():
            found.setdefault(url, rel)  # the first, as a scan would find
        return found

    def nearest(self, wrong: str, root_relative: bool, folder: str, own: str = "") -> str:
        """Return "; did you mean …?" naming the existing link target nearest to `wrong`: a
        site address, or a document or asset written relative to `folder`, never the document
        `own` that links. A file of the same name in another folder comes first (the link
        lacks its folder); else the file whose name is spelt most alike, in the same folder
        first."""
        if root_relative:  # an address in the same folder whose last part is spelt alike
            parent, _, name = wrong.rstrip("/").rpartition("/")
            siblings = {url.rstrip("/").rpartition("/")[2]: url for url in
                        (file_url(self.base_path, f) for f in self.site_files)
                        if url.rstrip("/").rpartition("/")[0] == parent}  # fmt: skip
            sibling = nearest(name, siblings)
            return f"; did you mean {siblings[sibling]!r}?" if sibling else ""
        known = {*self.pages, *self.unpublished} if wrong.endswith(".md") else set(self.assets)
        known.discard(own)
        # By file name, not whole path: a shared folder made "nope.md" look like any sibling.
        name = posixpath.basename(wrong)
        names = {posixpath.basename(k) for k in known}
        here = posixpath.dirname(wrong)
        # A file renamed beside the link ("refunds.md" now "refund-policy.md") before one in
        # another folder that happens to be spelt closer ("refund-time.md"): nearer by place,
        # it may be a little less alike.
        local = {posixpath.basename(k) for k in known if posixpath.dirname(k) == here}
        alike = (name if name in names
                 else nearest(name, local, cutoff=0.6) or nearest(name, names))  # fmt: skip
        near = min((k for k in known if posixpath.basename(k) == alike),
                   key=lambda k: (posixpath.dirname(k) != here, k.count("/"), k),
                   default=None)  # fmt: skip
        return f"; did you mean {posixpath.relpath(near, folder or '.')!r}?" if near else ""


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
    has_code: bool = False  # a code block: the page needs the highlighting stylesheet
    words: str = ""  # of the prose (no code), spelled_words: the static search's spelling


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

    def __init__(self, source: Document, table: LinkTable, out: Rendered) -> None:
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
            self.site_link(href, line)
            return
        resolved = self.target(parts.path, line, "link")
        if resolved is None:
            return
        found = self.out.deps[resolved] = self.table.lookup(resolved)
        if resolved.endswith(".md"):
            url = self.table.pages.get(resolved)
            if url is None:
                why = "is not published" if found == "unpublished" else "does not exist"
                hint = "" if found == "unpublished" else self.nearest(resolved, False)
                self.problem(line, "link", f"{href!r}: {resolved} {why}{hint}")
                return
            if parts.fragment:
                self.out.anchor_refs.append(AnchorRef(resolved, unquote(parts.fragment), line))
                # An FAQ's headings are its own page's ids (the FAQ page may rename them).
                page, _, entry = url.partition("#")
                url = (page + entry + "/" if entry else page) + "#" + parts.fragment
            token.attrSet("href", url)
        elif resolved in self.table.assets:
            self.out.assets.add(resolved)
            token.attrSet("href", self.table.base_path + quote(resolved))
        elif self.table.is_folder(resolved):
            self.problem(line, "link", f"{href!r}: {resolved} is a folder; link to a page or"
                         " file in it")  # fmt: skip
        else:
            hint = self.nearest(resolved, False)
            self.problem(line, "link", f"{href!r}: {resolved} does not exist{hint}")

    def site_link(self, href: str, line: int) -> None:
        """Check a root-relative link into this tenant's site as a relative one is checked:
        the page or file must exist, and a heading anchor on a document's page too."""
        parts = urlsplit(href)
        path = unquote(parts.path)
        if not self.table.covers(path):
            return  # another tenant's site or the service: not this build's to see
        found = self.out.deps[path] = self.table.lookup(path)
        if found == "missing":
            hint = self.nearest(path, True)
            self.problem(line, "link", f"{href!r}: this site has no page at {path}{hint}")
        elif parts.fragment and (page := self.table.page_of(path)):
            self.out.anchor_refs.append(AnchorRef(page, unquote(parts.fragment), line))

    def nearest(self, wrong: str, root_relative: bool) -> str:
        return self.table.nearest(wrong, root_relative, self.folder, str(self.source.rel))

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
            hint = self.nearest(resolved, False)
            self.problem(line, "image", f"{src!r}: {resolved} does not exist{hint}")
            return
        self.out.assets.add(resolved)
        self.out.deps[resolved] = found
        token.attrSet("src", self.table.base_path + quote(resolved))
        token.attrSet("loading", "lazy")


def _check_level(out: Rendered, source: Document, level: int, line: int) -> None:
    """Warn about headings out of order: screen-reader users navigate by them."""
    previous = out.headings[-1].level if out.headings else 1
    if level == 1:
        msg = "the title is the page's only level-1 heading; start sections at ##"
    elif level > previous + 1:
        msg = f"a level-{level} heading follows level {previous}; use {'#' * (previous + 1)}"
    else:
        return
    out.problems.append(Problem(source.display, line, "heading", msg, Severity.WARNING))


def _check_closed(out: Rendered, source: Document, fence: Token, lines: list[str]) -> None:
    """Warn of a code fence never closed: the rest of the page became code, silently (its
    headings and links gone from the page and from the checks). `lines`: the body's."""
    if not fence.map:
        return
    start, end = fence.map
    last = lines[end - 1].lstrip("> \t") if start < end - 1 < len(lines) else ""
    mark = fence.markup[0]
    if last.rstrip().startswith(fence.markup) and not last.rstrip().strip(mark):
        return
    msg = (f"the code block opened here with {fence.markup} is never closed, so the rest of the"
           f" page is shown as code; end it with a line of {fence.markup}")  # fmt: skip
    out.problems.append(
        Problem(source.display, source.body_line + start, "markdown", msg, Severity.WARNING)
    )


def _check_nesting(out: Rendered, source: Document, tokens: list[Token]) -> None:
    """Refuse a body nested as deep as the parser goes: what lies deeper is silently lost."""
    for token in tokens:
        if token.level >= NESTING - 1:
            line = source.body_line + (token.map[0] if token.map else 0)
            msg = (f"lists, quotes and callouts nest here as deep as kbgen renders ({NESTING}"
                   " levels, a list counting two); anything deeper would be lost: nest"
                   " less")  # fmt: skip
            out.problems.append(Problem(source.display, line, "markdown", msg))
            return


_RAW_ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)


def _raw_ids(out: Rendered, source: Document, html: str, line: int) -> None:
    """Take the ids of an article's raw HTML (allow_html) as anchors, as headings' are: a link
    to `#custom` after `<h2 id="custom">` is right. One of the page's own ids (the skip link's
    `main`) would be there twice, and the browser would go to the first: an error."""
    for found in _RAW_ID.finditer(html):
        anchor = next(group for group in found.groups() if group is not None)
        if anchor in PAGE_IDS:
            out.problems.append(Problem(source.display, line, "html", f"id {anchor!r} is one of"
                                        " the page's own ids; choose another"))  # fmt: skip
        elif source.kind == "article":  # an FAQ's ids are renamed on the FAQ page
            out.headings.append(Heading(0, "", anchor))


def render_source(source: Document, table: LinkTable, allow_html: bool) -> Rendered:
    """Render a document's body; collect its headings, plain text, links and problems."""
    md = markdown(allow_html)
    env: dict[str, Any] = {}
    tokens = md.parse(source.body, env)
    out = Rendered(html="", headings=[], text="")
    _check_nesting(out, source, tokens)
    out.problems += body_checks.empty_body(source) + body_checks.callout_markers(source, tokens)
    out.problems += body_checks.unused_footnotes(source, env)
    lines: list[str] = []
    resolver = _Resolver(source, table, out)
    texts: list[str] = []
    prose: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _heading_text(tokens, index)
            level = int(token.tag[1])
            line = source.body_line + (token.map[0] if token.map else 0)
            _check_level(out, source, level, line)
            out.headings.append(Heading(level, text, str(token.attrGet("id"))))
        elif token.type == "html_block":
            _raw_ids(out, source, token.content, source.body_line + (token.map or [0])[0])
        elif token.type in ("fence", "code_block"):
            out.has_code = True
            texts.append(token.content)
            if token.type == "fence":
                lines = lines or source.body.split("\n")  # once a page, for its first fence
                _check_closed(out, source, token, lines)
        elif token.type == "inline":
            words: list[str] = []  # one block's text: inline pieces join without spaces
            for child, line in _children(token, source.body_line):
                if child.type == "link_open":
                    resolver.link(child, line)
                elif child.type == "image":
                    resolver.image(child, line)
                    out.problems += body_checks.missing_alt(source, child, line)
                elif child.type in ("text", "code_inline"):
                    words.append(child.content)
                    if child.type == "text" and "[^" in child.content:
                        out.problems += body_checks.undefined_footnotes(
                            source, child.content, line, env
                        )
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
                elif child.type == "html_inline":
                    _raw_ids(out, source, child.content, line)
            texts.append("".join(words))
            prose.append(texts[-1])
    out.html = md.renderer.render(tokens, md.options, env)
    out.text = " ".join(" ".join(texts).split())
    out.words = spelled_words(" ".join(prose))
    return out
