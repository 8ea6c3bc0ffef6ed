"""`kbgen check` and `kbgen build` as a short list of stages."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbgen import checks
from kbgen.cache import RenderStore
from kbgen.config import BuildOptions, SiteConfig, TenantConfig, load_site_config
from kbgen.errors import ContentError, Problem, Severity
from kbgen.load import Loaded, Source, load_tenant
from kbgen.manifest import manifest, search_docs
from kbgen.nav import TenantSite, article_url, build_site, faq_url
from kbgen.pages import environment, render_pages, static_files
from kbgen.progress import progress
from kbgen.render import LinkTable
from kbgen.schema import ArticleMeta, Status
from kbgen.search_index import write_index
from kbgen.static_search import SiteIndexing
from kbgen.workers import PARALLEL_THRESHOLD, process_pool, render_all
from kbgen.write import OutputTree

log = logging.getLogger(__name__)
PAGES_FILE = "pages.json"  # page path -> [key, inode, mtime] of the last build


@dataclass
class Checked:
    """A tenant that passed every check, ready to write, plus its warnings."""

    tenant: TenantConfig
    site: TenantSite
    loaded: Loaded
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
    """Map every live document's path to its URL, for rewriting writers' .md links."""
    pages = {
        str(s.rel): article_url(tenant, s.slug) if s.kind == "article" else faq_url(tenant, s.slug)
        for s in live
    }
    unpublished = frozenset(str(s.rel) for s in loaded.sources) - set(pages)
    assets = frozenset(str(a) for a in loaded.assets)
    return LinkTable(pages, assets, tenant.base_path, unpublished)


def render_store(options: BuildOptions, tenant: TenantConfig, writable: bool) -> RenderStore:
    """Return the tenant's render cache (build/.cache/<tenant>/render)."""
    return RenderStore(options.build_dir / ".cache" / tenant.id / "render", writable)


def check_tenant(
    config: SiteConfig, tenant: TenantConfig, options: BuildOptions, store: RenderStore
) -> Checked:
    """Load, validate and render one tenant; raise ContentError listing all its problems."""
    loaded = load_tenant(options.content_dir, tenant.id, options.root)
    problems = list(loaded.problems)
    sources = list(loaded.sources)
    problems += checks.duplicate_slugs(sources)
    live = [s for s in sources if is_live(s, options)]
    table = link_table(tenant, loaded, live)
    with progress(f"{tenant.id}: render", len(live), options.quiet) as advance:
        rendered = render_all(live, table, config.allow_html, store, advance)
    for out in rendered.values():
        problems += out.problems
    by_rel = {str(s.rel): s for s in live}
    problems += checks.missing_anchors(rendered, by_rel)
    problems += checks.unknown_related(live, sources)
    problems += checks.redirect_clashes(live, tenant.base_path, table.assets)
    errors = [p for p in problems if p.severity is Severity.ERROR or options.strict]
    if errors:
        raise ContentError(problems)
    site = build_site(tenant, live, rendered)
    return Checked(tenant, site, loaded, problems, store)


def check(options: BuildOptions, write_cache: bool = False) -> list[Checked]:
    """Validate every selected tenant; nothing but the render cache is written."""
    config = load_site_config(options.root)
    tenants = [config.tenant(t) for t in options.tenants] or list(config.tenants)
    checked: list[Checked] = []
    problems: list[Problem] = []
    for tenant in tenants:
        try:
            store = render_store(options, tenant, write_cache)
            checked.append(check_tenant(config, tenant, options, store))
        except ContentError as exc:
            problems += exc.problems
    if problems:
        raise ContentError(problems)
    return checked


@dataclass
class Staged:
    """A tenant's new site and data trees, complete in staging but not yet swapped in."""

    checked: Checked
    pages: OutputTree
    data: OutputTree
    reused: int = 0
    waits: list[Callable[[], object]] = field(default_factory=list)  # background work to finish

    cancel: Callable[[], None] = lambda: None

    def finish(self) -> None:
        """Wait for this tenant's background indexing; it raises if any of it failed."""
        for wait in self.waits:
            wait()


def _previous_pages(options: BuildOptions, tenant: str) -> dict[str, list[Any]]:
    try:
        data: dict[str, list[Any]] = json.loads(
            (options.build_dir / tenant / PAGES_FILE).read_text()
        )
    except (OSError, ValueError):
        return {}
    return data


def write_pages(staged: Staged, options: BuildOptions) -> dict[str, list[Any]]:
    """Write the tenant's pages into staging, linking those unchanged since the last build."""
    tenant, site, pages = staged.checked.tenant, staged.checked.site, staged.pages
    env = environment(options.root, tenant.id)
    before = _previous_pages(options, tenant.id)
    final = options.site_dir / tenant.id
    records: dict[str, list[Any]] = {}
    jobs = list(render_pages(env, site))
    with progress(f"{tenant.id}: write", len(jobs), options.quiet) as advance:
        for job in jobs:
            old = before.get(job.rel)
            if job.key and old and old[0] == job.key and _same_file(final / job.rel, old):
                pages.link(job.rel, final / job.rel, job.origin)
                staged.reused += 1
            else:
                pages.write(job.rel, job.make(), job.origin)
            if job.key:
                stat = (pages.staging / job.rel).stat()
                records[job.rel] = [job.key, stat.st_ino, stat.st_mtime_ns]
            advance(1)
    for rel, path in static_files(env):
        pages.copy(rel, path, str(path))
    for asset in sorted(staged.checked.loaded.assets):
        source = options.content_dir / tenant.id / asset
        pages.copy(str(asset), source, str(source))
    return records


def _same_file(path: Path, record: list[Any]) -> bool:
    """Say whether `path` is still the very file the last build recorded."""
    try:
        stat = path.stat()
    except OSError:
        return False
    return [stat.st_ino, stat.st_mtime_ns] == record[1:]


def stage_tenant(staged: Staged, options: BuildOptions, pool: Executor | None) -> None:
    """Fill a tenant's staging trees; Whoosh and Pagefind go on in the background."""
    tenant, site = staged.checked.tenant, staged.checked.site
    previous = options.build_dir / tenant.id / "index"
    args = (
        staged.data.staging / "index",
        search_docs(site),
        previous if previous.is_dir() else None,
    )
    if pool:
        staged.waits.append(pool.submit(write_index, *args).result)
    else:
        write_index(*args)
    records = write_pages(staged, options)
    pagefind = SiteIndexing(staged.pages.staging, tenant.language)
    staged.waits.append(pagefind.wait)
    staged.cancel = pagefind.cancel
    staged.data.write("manifest.json", manifest(site), "kbgen/manifest.py")
    pages_json = json.dumps(records, sort_keys=True).encode()
    staged.data.write(PAGES_FILE, pages_json, "kbgen/build.py")


def build(options: BuildOptions) -> list[Checked]:
    """Check everything first, then write each tenant's site; the last good site survives."""
    checked = check(options, write_cache=True)
    staged: list[Staged] = []
    documents = sum(len(c.site.articles) + len(c.site.faqs) for c in checked)
    try:
        with ExitStack() as stack:
            pool = stack.enter_context(process_pool()) if documents >= PARALLEL_THRESHOLD else None
            for item in checked:
                tenant = item.tenant
                data = OutputTree(options.build_dir / tenant.id)
                staged.append(Staged(item, OutputTree(options.site_dir / tenant.id), data))
                stage_tenant(staged[-1], options, pool)
            for done in staged:
                done.finish()
        for done in staged:
            done.data.commit()
            done.pages.commit()
            log.info(
                "%s: %d files (%d unchanged) in %s",
                done.checked.tenant.id, len(done.pages.written), done.reused, done.pages.final,
            )  # fmt: skip
    except BaseException:
        for done in staged:
            done.cancel()
            done.pages.abort()
            done.data.abort()
        raise
    for item in checked:
        item.store.prune(
            {a.doc.key for a in item.site.articles} | {f.doc.key for f in item.site.faqs}
        )
    return checked
