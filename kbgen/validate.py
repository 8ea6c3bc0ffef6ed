"""The check stage of one tenant: load, validate and render its documents into a site model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from kbgen import checks
from kbgen.cache import RenderStore
from kbgen.config import BuildOptions, SiteConfig, TenantConfig
from kbgen.errors import ContentError, Problem, Severity
from kbgen.load import Broken, Loaded, LoadMemo, Source, load_tenant
from kbgen.nav import TenantSite, article_url, build_site, faq_url, redirect_output
from kbgen.progress import progress
from kbgen.render import LinkTable, render_source
from kbgen.schema import ArticleMeta, Status
from kbgen.workers import render_all


@dataclass
class Checked:
    """A tenant that passed every check, ready to write, plus its warnings."""

    tenant: TenantConfig
    site: TenantSite
    assets: frozenset[PurePosixPath]  # non-Markdown files of the tenant, copied as they are
    warnings: list[Problem]
    store: RenderStore


def is_live(source: Source, options: BuildOptions) -> bool:
    """Say whether a document is published now (or previewed with --drafts)."""
    if options.drafts:
        return True
    if source.meta.status is Status.draft:
        return False
    meta = source.meta
    return not (isinstance(meta, ArticleMeta) and meta.published and meta.published > options.today)


def link_table(tenant: TenantConfig, loaded: Loaded, live: list[Source]) -> LinkTable:
    """Map every live document's path to its URL, for rewriting writers' .md links. A broken
    document counts as live: its own error is the one to fix, not every link to it."""
    documents: list[Source | Broken] = [*live, *loaded.broken]
    pages = {
        str(d.rel): article_url(tenant, d.slug) if d.kind == "article" else faq_url(tenant, d.slug)
        for d in documents
    }
    unpublished = frozenset(str(s.rel) for s in loaded.sources) - set(pages)
    assets = frozenset(str(a) for a in loaded.assets)
    redirects = {redirect_output(path, tenant.base_path) for s in live
                 if isinstance(s.meta, ArticleMeta) for path in s.meta.redirect_from}  # fmt: skip
    used = {s.meta.category for s in live}  # a category's page is written when it has any
    files = frozenset(checks.generated_outputs(documents, used) | assets | redirects)
    # The service's pages (the ticket form's folder) share the base path but not the build.
    form = urlsplit(tenant.intake_url).path if tenant.intake_url.startswith("/") else ""
    service = form.rsplit("/", 1)[0] + "/" if form.startswith(tenant.base_path) else ""
    return LinkTable(pages, assets, tenant.base_path, unpublished, files, service)


def check_tenant(
    config: SiteConfig,
    tenant: TenantConfig,
    options: BuildOptions,
    store: RenderStore,
    memo: LoadMemo | None = None,
) -> Checked:
    """Load, validate and render one tenant; raise ContentError listing all its problems."""
    loaded = load_tenant(options.content_dir, tenant.id, options.root, memo)
    problems = list(loaded.problems)
    sources = list(loaded.sources)
    problems += checks.duplicate_slugs([*sources, *loaded.broken])
    live = [s for s in sources if is_live(s, options)]
    table = link_table(tenant, loaded, live)
    with progress(f"{tenant.id}: render", len(live), options.quiet) as advance:
        rendered = render_all(live, table, config.allow_html, store, advance)
    for out in rendered.values():
        problems += out.problems
    # A broken document's body is rendered too, only to check its links in the same run.
    outlines: dict[str, checks.Outline] = dict(rendered)
    for broken in loaded.broken:
        body = render_source(broken, table, config.allow_html)
        outlines[str(broken.rel)] = body
        problems += [p for p in body.problems if p.field in ("link", "image")]
    displays = {str(s.rel): s.display for s in live} | {
        str(b.rel): b.display for b in loaded.broken
    }
    unread = {str(b.rel) for b in loaded.broken if not b.body.strip()}
    problems += checks.missing_anchors(outlines, displays, unread)
    problems += checks.unknown_related(live, sources, loaded.broken)
    folder = options.content_dir / tenant.id
    problems += checks.asset_clashes(loaded.assets, live, folder, options.root)
    problems += checks.redirect_clashes(live, tenant.base_path, table.assets)
    problems += checks.faq_slugs_taken_by_the_page(live)
    problems += checks.future_updates(live, options.today)
    errors = [p for p in problems if p.severity is Severity.ERROR or options.strict]
    if errors:
        raise ContentError(problems)
    # The Markdown is in the renderings now; dropping it keeps memory flat on large sites.
    site = build_site(tenant, [s.without_body for s in live], rendered)
    # Keep only what writing needs: holding every loaded source would hold every Markdown body.
    return Checked(tenant, site, loaded.assets, problems, store)
