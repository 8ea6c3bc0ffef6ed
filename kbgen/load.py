"""Find a tenant's articles and FAQs and read them into validated source documents."""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Protocol

from kbgen.errors import Problem, Severity
from kbgen.frontmatter import split_front_matter
from kbgen.schema import (
    SLUG_RE,
    ArticleMeta,
    FaqMeta,
    slugify,
    validate_article,
    validate_faq,
)

# Far above any real article (1 MiB), far below what would slow the build: larger is refused.
MAX_SOURCE_BYTES = 1024 * 1024


class Document(Protocol):
    """What rendering reads of a document: where it is and its Markdown."""

    @property
    def kind(self) -> str: ...  # "article" or "faq"
    @property
    def rel(self) -> PurePosixPath: ...
    @property
    def display(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def body_line(self) -> int: ...


@dataclass(frozen=True)
class Source:
    """A validated Markdown document: an article or an FAQ of one tenant."""

    kind: str  # "article" or "faq"
    rel: PurePosixPath  # path under content/<tenant>/, e.g. articles/account/reset.md
    display: str  # path for messages, relative to the project root
    meta: ArticleMeta | FaqMeta
    body: str
    body_line: int
    field_lines: tuple[tuple[str, int], ...] = ()
    meta_digest: str = ""  # of the front-matter values: cheap to compare, computed once
    body_digest: str = ""  # of the body: a long-lived process keys renderings by it each build

    def __post_init__(self) -> None:
        if not self.meta_digest:
            digest = hashlib.sha256(repr(self.meta).encode()).hexdigest()
            object.__setattr__(self, "meta_digest", digest)
        if not self.body_digest:
            object.__setattr__(self, "body_digest", hashlib.sha256(self.body.encode()).hexdigest())

    @property
    def slug(self) -> str:
        return self.meta.slug

    @functools.cached_property
    def without_body(self) -> Source:
        """This source with its Markdown dropped, as the site model keeps it: made once per
        source, which a long-lived process loads again only when its file changes."""
        return replace(self, body="")

    def line(self, field_name: str) -> int:
        """Return the line of a front-matter field, or 1 (the header) when it is absent."""
        return dict(self.field_lines).get(field_name, 1)


@dataclass(frozen=True)
class Broken:
    """A document whose file or front-matter failed its checks. It still exists: links to it,
    its slug and `related` entries naming it are not blamed on other files (one mistake, one
    error), and its body's links are still checked in the same run."""

    kind: str
    rel: PurePosixPath
    display: str
    slug: str  # its slug: field if that one is valid, else the file name's
    body: str
    body_line: int


@dataclass(frozen=True)
class Loaded:
    """Everything read from one tenant's content folder."""

    sources: tuple[Source, ...]
    assets: frozenset[PurePosixPath]  # every non-Markdown file, relative to content/<tenant>/
    problems: tuple[Problem, ...]
    broken: tuple[Broken, ...] = ()


# C0 controls but tab, line feed and carriage return, and DEL: no page, feed or sitemap may
# hold them (an XML parser refuses the whole feed for one).
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 file within the size limit; report an oversized or undecodable one."""
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        limit = MAX_SOURCE_BYTES // 1024
        msg = f"is {size // 1024} KiB; a source file may be at most {limit} KiB"
        return None, [Problem(display, 1, "file", msg)]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save as UTF-8"
        return None, [Problem(display, line, "encoding", msg)]
    found = CONTROL_RE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        msg = (f"contains the control character U+{ord(found.group()):04X}, invisible and not"
               " allowed in a web page or a feed; remove it")  # fmt: skip
        return None, [Problem(display, line, "encoding", msg)]
    return text.removeprefix("\ufeff").replace("\r\n", "\n"), []


def load_source(
    path: Path, rel: PurePosixPath, display: str, kind: str
) -> tuple[Source | Broken, list[Problem]]:
    """Read and validate one article or FAQ file."""
    default_slug = slugify(rel.stem)
    text, problems = read_text(path, display)
    if text is None:
        return Broken(kind, rel, display, default_slug, "", 1), problems
    split = split_front_matter(text, display)
    named = split.meta.data.get("slug")
    slug = named if isinstance(named, str) and SLUG_RE.match(named) else default_slug
    broken = Broken(kind, rel, display, slug, split.body, split.body_line)
    if split.meta.problems:
        return broken, list(split.meta.problems)
    validate = validate_article if kind == "article" else validate_faq
    meta, problems = validate(split.meta, display, default_slug, header_line=1)
    if meta is None:
        return broken, problems
    if not meta.slug:
        return broken, [Problem(display, 1, "slug", "the file name gives no slug; set slug:")]
    lines = tuple(sorted(split.meta.lines.items()))
    return Source(kind, rel, display, meta, split.body, split.body_line, lines), []


# path -> ((size, mtime_ns), what loading it gave): lets a long-lived process (kbgen serve)
# re-read only the files that changed since its last build.
LoadMemo = dict[str, tuple[tuple[int, int], tuple[Source | Broken, list[Problem]]]]


def load_tenant(content_dir: Path, tenant: str, root: Path, memo: LoadMemo | None = None) -> Loaded:
    """Load every article and FAQ of a tenant, in a stable order, collecting all problems."""
    base = content_dir / tenant
    sources: list[Source] = []
    broken: list[Broken] = []
    assets: set[PurePosixPath] = set()
    if not base.is_dir():
        return Loaded((), frozenset(), (Problem(_display(base, root), 0, "", "folder missing"),))
    # Plain strings until a file is read: a large site has thousands, most unchanged.
    walked, problems = _walk(base, root)
    for path, rel in walked:
        top = rel.split("/", 1)[0]
        if path.endswith(".md") and top in ("articles", "faqs"):
            kind = "article" if top == "articles" else "faq"
            stat = os.stat(path)
            stamp = (stat.st_size, stat.st_mtime_ns)
            known = memo.get(path) if memo is not None else None
            if known and known[0] == stamp:
                source, found = known[1]
            else:
                file = Path(path)
                source, found = load_source(file, PurePosixPath(rel), _display(file, root), kind)
                if memo is not None:
                    memo[path] = (stamp, (source, found))
            problems.extend(found)
            if isinstance(source, Source):
                sources.append(source)
            else:
                broken.append(source)
        elif not path.endswith(".md") and top != "templates":
            assets.add(PurePosixPath(rel))
        elif path.endswith(".md") and top != "templates" and rel.rpartition("/")[2] != "README.md":
            problems.append(_stray(path, rel, root))
    return Loaded(tuple(sources), frozenset(assets), tuple(problems), tuple(broken))


# Markdown under another name: published as it is (front-matter, drafts too) were it taken
# for an asset.
MARKDOWN_LIKE = (".markdown", ".mdown", ".mkd", ".mkdn", ".md.txt")


def _walk(base: Path, root: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Return every file under `base` that is not hidden, sorted as paths sort, with its path
    relative to `base` ("articles/billing/refunds.md"), and the problems of those it cannot
    take.

    A link is taken only to a file inside the tenant's folder: one to /etc/passwd would be
    published. A link to a folder is not followed, a FIFO or device would hang or feed the
    build, and a name that is not UTF-8 cannot be a page's address: each is an error on its
    own path, rather than a file silently skipped or published.
    """
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    inside = os.path.realpath(base) + os.sep
    pending = [(str(base), "")]
    while pending:
        folder, rel_folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or editor_leftover(entry.name):
                    continue
                rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
                why = _refused(entry, rel, inside)
                if why:
                    display = _printable(_display(Path(entry.path), root))
                    problems.append(Problem(display, 1, "file", why))
                elif entry.is_dir():
                    pending.append((entry.path, rel))
                else:
                    found.append((entry.path, rel))
    return sorted(found, key=lambda item: item[1].split("/")), problems


def editor_leftover(name: str) -> bool:
    """Say whether a file is an editor's backup ("refunds.md~") or autosave ("#refunds.md#"):
    never part of the site, as hidden files are not (the preview's watcher ignores them too)."""
    return name.endswith("~") or (len(name) > 1 and name.startswith("#") and name.endswith("#"))


def _refused(entry: os.DirEntry[str], rel: str, inside: str) -> str | None:
    """Say why a folder entry cannot be part of the site, or None."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8 text; rename it"
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        if os.path.isdir(target):
            return "is a link to a folder, which kbgen does not follow; copy the folder here"
        if not target.startswith(inside) or not os.path.isfile(target):
            return (f"is a link to {target}, outside this tenant's folder (or missing): "
                    "kbgen publishes only files inside it")  # fmt: skip
    elif not (entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False)):
        return "is not a regular file (a pipe, socket or device); remove it"
    name, lower = entry.name, entry.name.lower()
    miscased = lower.endswith(".md") and not name.endswith(".md")
    if entry.is_file() and (miscased or lower.endswith(MARKDOWN_LIKE)):
        stem = name[: -len(".md.txt")] if lower.endswith(".md.txt") else name.rsplit(".", 1)[0]
        return (f"kbgen reads Markdown only from .md files (this one would be published as it "
                f"is); rename it to {stem}.md")  # fmt: skip
    copied = entry.is_file() and not lower.endswith(".md")
    if copied and (".md." in lower or _copied_page(entry.path)):
        return ("is a copy of a Markdown page (so its name says, or its front-matter with a title "
                "or question): published as a file, its text would be public as it is, drafts "
                "too; remove it, or name it .md to make it a page")  # fmt: skip
    return None


def _copied_page(path: str) -> bool:
    """Say whether a file that is no .md starts with an article's or FAQ's front-matter
    ("launch.txt", "launch.md.bak" saved from a draft). A YAML file of the site's own (a
    download starting with ---) names no title or question before its next --- line."""
    try:
        with open(path, "rb") as file:
            if not file.read(6).removeprefix(b"\xef\xbb\xbf").startswith(b"---"):  # a BOM first
                return False
            file.seek(0)
            head = file.read(8192).decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    except OSError:
        return False
    if not head or head[0].rstrip() != "---":
        return False
    for line in head[1:]:
        if line.rstrip() in ("---", "..."):
            return False
        if _PAGE_KEY.match(line):
            return True
    return False


_PAGE_KEY = re.compile(r"(?:title|question)\s*:")


def _stray(path: str, rel: str, root: Path) -> Problem:
    """Warn of Markdown outside articles/ and faqs/: not published ("faq/" for "faqs/")."""
    top = rel.split("/", 1)[0] if "/" in rel else ""
    near = difflib.get_close_matches(top, ["articles", "faqs"], n=1) if top else []
    hint = f"; did you mean {near[0]}/?" if near else ""
    msg = (
        f"is neither an article nor an FAQ (those are in articles/ and faqs/): not published{hint}"
    )
    return Problem(_display(Path(path), root), 1, "file", msg, Severity.WARNING)


def _printable(text: str) -> str:
    """Return a path fit to print, whatever bytes its name holds."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
