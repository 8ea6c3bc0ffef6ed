"""Checks across documents: unique slugs, anchors, related articles, redirect clashes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path, PurePosixPath
from typing import Protocol

from kbgen.errors import Problem, Severity
from kbgen.load import Broken, Source
from kbgen.markup import PAGE_IDS
from kbgen.nav import faq_group_id, redirect_output
from kbgen.render import AnchorRef, Heading
from kbgen.schema import ArticleMeta, KbCategory, did_you_mean
from kbgen.urls import GENERATED_FOLDERS, VOCABULARY_FOLDER, tag_pages

FOOTNOTE_ID = re.compile(r"^fn(ref)?\d+(:\d+)?$")


class Outline(Protocol):
    """What the anchor check reads of a rendered document."""

    @property
    def headings(self) -> Sequence[Heading]: ...
    @property
    def anchor_refs(self) -> Sequence[AnchorRef]: ...


def duplicate_slugs(documents: Sequence[Source | Broken]) -> list[Problem]:
    """Report every article (or FAQ) whose slug another of the same tenant already uses. The
    slug a file's name gives keeps it over one a `slug:` line sets (that line is the likelier
    mistake, and where the error points); among equals, the first in path order keeps it."""
    seen: dict[tuple[str, str], Source | Broken] = {}
    problems = []

    def written(document: Source | Broken) -> bool:
        return isinstance(document, Source) and "slug" in dict(document.field_lines)

    for document in sorted(documents, key=lambda d: (written(d), d.rel)):
        if not document.slug:
            continue
        first = seen.setdefault((document.kind, document.slug), document)
        if first is not document:
            msg = f"{document.slug!r} is already the slug of {first.display}; slugs must be unique"
            if unicodedata.normalize("NFC", first.display) == unicodedata.normalize(
                "NFC", document.display
            ):  # two names a reader cannot tell apart
                msg += " (the two file names differ only in how their accents are encoded)"
            line = document.line("slug") if isinstance(document, Source) else 1
            problems.append(Problem(document.display, line, "slug", msg))
    return problems


def faq_slugs_taken_by_the_page(published: Sequence[Source]) -> list[Problem]:
    """Report an FAQ whose slug is an id the FAQ page has already (its own, or a category's
    group): the FAQ's entry there is its slug, and a page's ids must be unique."""
    taken = PAGE_IDS | {faq_group_id(c) for c in KbCategory}
    return [Problem(s.display, s.line("slug"), "slug",
                    f"{s.slug!r} is an id of the FAQ page itself; choose another slug")
            for s in published if s.kind == "faq" and s.slug in taken]  # fmt: skip


def missing_anchors(
    outlines: Mapping[str, Outline], displays: Mapping[str, str], unread: Set[str] = frozenset()
) -> list[Problem]:
    """Report links to a heading anchor that the target document does not have. A document
    whose body could not be read (`unread`: not UTF-8, its front-matter never closed) has its
    own error; links into it are not blamed too (one mistake, one error)."""
    ids: dict[str, set[str]] = {}  # of the documents linked to: most are never linked to

    def anchors(rel: str) -> set[str]:
        if rel not in ids:
            target = outlines.get(rel)
            ids[rel] = {h.id for h in target.headings} if target is not None else set()
        return ids[rel]

    problems = []
    for rel, out in outlines.items():
        for ref in out.anchor_refs:
            # Footnote references point at ids the footnote plugin makes, not at headings.
            if ref.target in unread:
                continue
            if ref.anchor in anchors(ref.target) or FOOTNOTE_ID.match(ref.anchor):
                continue
            known = sorted(anchors(ref.target))
            hint = did_you_mean(ref.anchor, known, "#")
            msg = (f"#{ref.anchor} is not a heading of {ref.target}{hint or ';'} its anchors: "
                   f"{', '.join(known) or 'none'}")  # fmt: skip
            problems.append(Problem(displays[rel], ref.line, "link", msg))
    return problems


def unknown_related(
    published: list[Source], every: list[Source], broken: Sequence[Broken] = ()
) -> list[Problem]:
    """Report `related` slugs that name no article, or one that is not published. An article
    whose front-matter failed is not blamed here: its own error says what to fix."""
    live = {s.slug for s in published if s.kind == "article"}
    live |= {b.slug for b in broken if b.kind == "article"}
    exists = {s.slug for s in every if s.kind == "article"}
    problems = []
    for source in published:
        if not isinstance(source.meta, ArticleMeta):
            continue
        for slug in source.meta.related:
            line = source.line("related")
            if slug == source.slug:
                msg = f"{slug!r} is this article itself, and is not listed as related to it"
                problems.append(Problem(source.display, line, "related", msg, Severity.WARNING))
                continue
            if slug in live:
                continue
            if slug in exists:
                msg = f"{slug!r} is a draft or scheduled article; it is left out until published"
                problems.append(Problem(source.display, line, "related", msg, Severity.WARNING))
            else:
                hint = did_you_mean(slug, exists | live)
                msg = f"no article {slug!r}{hint}"
                problems.append(Problem(source.display, line, "related", msg))
    return problems


def generated_outputs(
    published: Sequence[Source | Broken], categories: Iterable[KbCategory] = KbCategory
) -> set[str]:
    """Return the files kbgen writes itself (with a page for each of `categories`), which no
    redirect may replace."""
    pages = {"index.html", "404.html", "sitemap.xml", "robots.txt", "feed.xml"}
    pages |= {"faq/index.html", "search/index.html"}
    pages |= {f"categories/{c.path}/index.html" for c in categories}
    pages |= {f"articles/{s.slug}/index.html" for s in published if s.kind == "article"}
    pages |= {f"faq/{s.slug}/index.html" for s in published if s.kind == "faq"}
    metas = [s.meta for s in published if isinstance(s, Source)]
    return pages | tag_pages(t for m in metas if isinstance(m, ArticleMeta) for t in m.tags)


def redirect_clashes(
    published: list[Source], base_path: str, assets: frozenset[str]
) -> list[Problem]:
    """Report redirect_from paths that would overwrite a page, an asset or another redirect,
    or that the site's tree cannot hold beside them: a name differing only in case (one file
    where names ignore case), or a file where a folder must be (the build's own rules)."""
    taken = generated_outputs(published) | assets
    owners: dict[str, Source] = {}
    tree = _Tree(taken)
    problems = []
    for source in published:
        if not isinstance(source.meta, ArticleMeta):
            continue
        for path in source.meta.redirect_from:
            out = redirect_output(path, base_path)
            if out in taken or out.split("/", 1)[0] in GENERATED_FOLDERS:
                msg = f"{path!r} would replace {out}, which kbgen writes"
            elif out in owners:
                msg = f"{path!r} is already redirected by {owners[out].display}"
            elif clash := tree.clash(out):
                msg = f"{path!r} cannot be written: {clash}"
            else:
                owners[out] = source
                tree.add(out)
                continue
            problems.append(
                Problem(source.display, source.line("redirect_from"), "redirect_from", msg)
            )
    return problems


def asset_clashes(
    assets: Iterable[PurePosixPath], published: Sequence[Source], folder: Path, root: Path
) -> list[Problem]:
    """Report files of the tenant's folder (copied into the site as they are) that the site
    cannot hold: one where kbgen writes a page or into a folder kbgen fills, or one its tree
    refuses beside the others (a name differing only in case, a file where a folder must be).
    The build's writer would refuse each of them, one a run, after the check had passed."""
    taken = generated_outputs(published)
    filled_folders = (*GENERATED_FOLDERS, VOCABULARY_FOLDER)
    # kbgen's own folders are folders of the tree too: a file may not stand where one is.
    tree = _Tree([*taken, *(f"{folder}/-" for folder in filled_folders)])
    problems = []
    for asset in sorted(assets, key=str):
        rel = str(asset)
        # In any case: where names ignore case, Assets/x.css lands in assets/.
        filled = next((f for f in filled_folders if rel.lower().startswith(f"{f}/")), None)
        if rel in taken:
            msg = f"would replace {rel}, which kbgen writes itself; rename or move this file"
        elif filled:
            msg = f"is in {filled}/, a folder kbgen fills itself; move this file elsewhere"
        elif clash := tree.clash(rel):
            msg = f"cannot be copied into the site: {clash}; rename one"
        else:
            tree.add(rel)
            continue
        problems.append(Problem(_shown(folder / rel, root).rstrip("/"), 1, "file", msg))
    return problems


class _Tree:
    """The site's files as a file system holds them: by name in any case, and folders."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files: dict[str, str] = {}  # lower-cased -> as written
        self.folders: dict[str, str] = {}
        for path in files:
            self.add(path)

    def add(self, path: str) -> None:
        self.files[path.lower()] = path
        parts = path.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            self.folders.setdefault(folder.lower(), folder)

    def clash(self, path: str) -> str:
        """Say why `path` cannot join the tree, or "" if it can."""
        low = path.lower()
        if low in self.files:
            return f"{path} and {self.files[low]} differ only in case"
        if low in self.folders:
            return f"{path} would be a file where {self.folders[low]}/ is a folder"
        parts = low.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            if folder in self.files:
                return f"it needs a folder {folder}/ where {self.files[folder]} is a file"
        return ""


def future_updates(published: Sequence[Source], today: dt.date) -> list[Problem]:
    """Warn of an article updated in the future: it would head "recently updated" and the
    feed until then, a typo's year (2062) most likely."""
    problems = []
    for source in published:
        meta = source.meta
        if isinstance(meta, ArticleMeta) and meta.updated and meta.updated > today:
            msg = f"{meta.updated} is after today ({today}); write the day it was updated"
            line = source.line("updated")
            problems.append(Problem(source.display, line, "updated", msg, Severity.WARNING))
    return problems


def unknown_tenant_folders(content_dir: Path, tenants: Sequence[str], root: Path) -> list[Problem]:
    """Warn of a folder under content/ that names no tenant: a misspelt tenant id
    (`content/kms/`) would publish nothing, silently."""
    problems = []
    for folder in sorted(content_dir.iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in tenants:
            msg = (f"no tenant in site.yaml is called {folder.name!r} (it defines "
                   f"{', '.join(tenants)}), so nothing in this folder is published"
                   f"{did_you_mean(folder.name, tenants)}")  # fmt: skip
            problems.append(Problem(_shown(folder, root), 0, "", msg, Severity.WARNING))
    return problems


def _shown(path: Path, root: Path) -> str:
    return f"{path.relative_to(root).as_posix()}/" if path.is_relative_to(root) else str(path)
