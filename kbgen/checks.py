"""Checks across documents: unique slugs, anchors, related articles, redirect clashes."""

from __future__ import annotations

import re

from kbgen.cache import Stored
from kbgen.errors import Problem, Severity
from kbgen.load import Source
from kbgen.nav import redirect_output
from kbgen.schema import ArticleMeta, KbCategory

FOOTNOTE_ID = re.compile(r"^fn(ref)?\d+(:\d+)?$")
GENERATED_FOLDERS = {"assets", "pagefind"}


def duplicate_slugs(sources: list[Source]) -> list[Problem]:
    """Report every article (or FAQ) whose slug another of the same tenant already uses."""
    seen: dict[tuple[str, str], Source] = {}
    problems = []
    for source in sources:
        key = (source.kind, source.slug)
        first = seen.setdefault(key, source)
        if first is not source:
            msg = f"{source.slug!r} is already the slug of {first.display}; slugs must be unique"
            problems.append(Problem(source.display, source.line("slug"), "slug", msg))
    return problems


def missing_anchors(rendered: dict[str, Stored], sources: dict[str, Source]) -> list[Problem]:
    """Report links to a heading anchor that the target document does not have."""
    ids = {rel: {h.id for h in out.headings} for rel, out in rendered.items()}
    problems = []
    for rel, out in rendered.items():
        for ref in out.anchor_refs:
            # Footnote references point at ids the footnote plugin makes, not at headings.
            if ref.anchor in ids.get(ref.target, set()) or FOOTNOTE_ID.match(ref.anchor):
                continue
            known = ", ".join(sorted(h.id for h in rendered[ref.target].headings)) or "none"
            msg = f"#{ref.anchor} is not a heading of {ref.target}; its anchors: {known}"
            problems.append(Problem(sources[rel].display, ref.line, "link", msg))
    return problems


def unknown_related(published: list[Source], every: list[Source]) -> list[Problem]:
    """Report `related` slugs that name no article, or one that is not published."""
    live = {s.slug for s in published if s.kind == "article"}
    exists = {s.slug for s in every if s.kind == "article"}
    problems = []
    for source in published:
        if not isinstance(source.meta, ArticleMeta):
            continue
        for slug in source.meta.related:
            if slug in live:
                continue
            line = source.line("related")
            if slug in exists:
                msg = f"{slug!r} is a draft or scheduled article; it is left out until published"
                problems.append(Problem(source.display, line, "related", msg, Severity.WARNING))
            else:
                problems.append(Problem(source.display, line, "related", f"no article {slug!r}"))
    return problems


def _generated_outputs(published: list[Source]) -> set[str]:
    """Return the files kbgen writes itself, which no redirect may replace."""
    pages = {"index.html", "404.html", "sitemap.xml", "robots.txt", "feed.xml"}
    pages |= {"faq/index.html", "search/index.html"}
    pages |= {f"categories/{c.path}/index.html" for c in KbCategory}
    pages |= {f"articles/{s.slug}/index.html" for s in published if s.kind == "article"}
    pages |= {f"faq/{s.slug}/index.html" for s in published if s.kind == "faq"}
    return pages


def redirect_clashes(
    published: list[Source], base_path: str, assets: frozenset[str]
) -> list[Problem]:
    """Report redirect_from paths that would overwrite a page, an asset or another redirect."""
    taken = _generated_outputs(published) | assets
    owners: dict[str, Source] = {}
    problems = []
    for source in published:
        if not isinstance(source.meta, ArticleMeta):
            continue
        for path in source.meta.redirect_from:
            out = redirect_output(path, base_path)
            line = source.line("redirect_from")
            if out in taken or out.split("/", 1)[0] in GENERATED_FOLDERS:
                msg = f"{path!r} would replace {out}, which kbgen writes"
                problems.append(Problem(source.display, line, "redirect_from", msg))
            elif out in owners:
                msg = f"{path!r} is already redirected by {owners[out].display}"
                problems.append(Problem(source.display, line, "redirect_from", msg))
            owners.setdefault(out, source)
    return problems
