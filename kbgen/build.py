"""`kbgen check` and `kbgen build` as a short list of stages."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from kbgen import checks
from kbgen.cache import RenderStore
from kbgen.config import BuildOptions, SiteConfig, TenantConfig, load_site_config
from kbgen.errors import ContentError, Problem, Severity
from kbgen.load import Loaded, LoadMemo, Source, load_tenant
from kbgen.manifest import manifest, search_docs
from kbgen.nav import Article, Faq, TenantSite, article_url, build_site, faq_url
from kbgen.pages import environment, render_pages, static_files, template_fingerprint
from kbgen.progress import progress
from kbgen.render import LinkTable
from kbgen.schema import ArticleMeta, Status
from kbgen.search_index import write_index
from kbgen.static_search import BUNDLE, SiteIndexing
from kbgen.workers import PARALLEL_THRESHOLD, process_pool, render_all
from kbgen.write import OutputTree, PatchTree, swap_in

log = logging.getLogger(__name__)
PAGES_FILE = "pages.json"  # page path -> [key, inode, mtime] of the last build
STAMP_FILE = "fingerprint.json"  # digest of all a tenant's inputs at its last build


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
    """Map every live document's path to its URL, for rewriting writers' .md links."""
    pages = {
        str(s.rel): article_url(tenant, s.slug) if s.kind == "article" else faq_url(tenant, s.slug)
        for s in live
    }
    unpublished = frozenset(str(s.rel) for s in loaded.sources) - set(pages)
    assets = frozenset(str(a) for a in loaded.assets)
    return LinkTable(pages, assets, tenant.base_path, unpublished)


@dataclass
class BuildState:
    """What a long-lived process (kbgen serve) keeps between builds, to redo only what changed.

    With `defer_pagefind`, a tenant's site is swapped in with its last Pagefind bundle and
    `catch_up()` re-indexes it afterwards: the preview reloads at once and search follows.
    """

    memos: dict[str, LoadMemo] = field(default_factory=dict)
    stores: dict[str, RenderStore] = field(default_factory=dict)
    defer_pagefind: bool = False
    behind: list[tuple[Path, str]] = field(default_factory=list)  # sites whose search lags

    def catch_up(self) -> None:
        """Re-index the sites whose Pagefind bundle was carried over from an earlier build."""
        while self.behind:
            folder, language = self.behind.pop()
            fresh = folder / f".{BUNDLE}.new"
            shutil.rmtree(fresh, ignore_errors=True)
            SiteIndexing(folder, language, fresh).wait()
            # Pagefind leaves old files in a folder it writes to; a fresh one swapped in does not.
            retired = swap_in(fresh, folder / BUNDLE)
            if retired:
                shutil.rmtree(retired)


def render_store(
    options: BuildOptions, tenant: TenantConfig, writable: bool, state: BuildState | None = None
) -> RenderStore:
    """Return the tenant's render cache (build/.cache/<tenant>/render)."""
    if state is not None and tenant.id in state.stores:
        return state.stores[tenant.id]
    store = RenderStore(options.build_dir / ".cache" / tenant.id / "render", writable)
    if state is not None:
        state.stores[tenant.id] = store
    return store


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
    # The Markdown is in the renderings now; dropping it keeps memory flat on large sites.
    site = build_site(tenant, [replace(s, body="") for s in live], rendered)
    # Keep only what writing needs: holding every loaded source would hold every Markdown body.
    return Checked(tenant, site, loaded.assets, problems, store)


def check(
    options: BuildOptions, write_cache: bool = False, state: BuildState | None = None
) -> list[Checked]:
    """Validate every selected tenant; nothing but the render cache is written."""
    config = load_site_config(options.root)
    tenants = [config.tenant(t) for t in options.tenants] or list(config.tenants)
    checked: list[Checked] = []
    problems: list[Problem] = []
    for tenant in tenants:
        try:
            store = render_store(options, tenant, write_cache, state)
            memo = state.memos.setdefault(tenant.id, {}) if state else None
            checked.append(check_tenant(config, tenant, options, store, memo))
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


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _same_file(path: Path, record: list[Any]) -> bool:
    """Say whether `path` is still the very file the last build recorded."""
    try:
        stat = path.stat()
    except OSError:
        return False
    return [stat.st_ino, stat.st_mtime_ns] == record[1:]


def fingerprint(checked: Checked, theme: str, options: BuildOptions) -> str:
    """Return a digest of everything a tenant's output depends on."""
    digest = hashlib.sha256(f"{theme}|{checked.tenant!r}|{options.drafts}".encode())
    docs: list[Article | Faq] = [*checked.site.articles, *checked.site.faqs]
    for item in docs:
        digest.update(f"{item.doc.key}|{item.source.meta_digest}|".encode())
    for asset in sorted(checked.assets):
        stat = (options.content_dir / checked.tenant.id / asset).stat()
        digest.update(f"{asset}|{stat.st_size}|{stat.st_mtime_ns}|".encode())
    return digest.hexdigest()


def write_pages(staged: Staged, env: jinja2.Environment, options: BuildOptions) -> dict[str, Any]:
    """Write the tenant's pages into staging, linking those unchanged since the last build."""
    tenant, site, pages = staged.checked.tenant, staged.checked.site, staged.pages
    before = _read_json(options.build_dir / tenant.id / PAGES_FILE) or {}
    final = options.site_dir / tenant.id
    records: dict[str, list[Any]] = {}
    jobs = list(render_pages(env, site))
    with progress(f"{tenant.id}: write", len(jobs), options.quiet) as advance:
        for job in jobs:
            old = before.get(job.rel)
            if job.key and old and old[0] == job.key and _same_file(final / job.rel, old):
                pages.link(job.rel, final / job.rel, job.origin)
                staged.reused += 1
                records[job.rel] = old  # the very same file, so the same inode and time
                advance(1)
                continue
            pages.write(job.rel, job.make(), job.origin)
            if job.key:
                stat = (pages.staging / job.rel).stat()
                records[job.rel] = [job.key, stat.st_ino, stat.st_mtime_ns]
            advance(1)
    for rel, path in static_files(env):
        pages.copy(rel, path, str(path))
    for asset in sorted(staged.checked.assets):
        source = options.content_dir / tenant.id / asset
        pages.copy(str(asset), source, str(source))
    return records


def stage_tenant(
    checked: Checked, options: BuildOptions, pool: Executor | None, state: BuildState | None
) -> Staged | None:
    """Fill a tenant's staging trees, or return None when nothing it depends on changed."""
    tenant, site = checked.tenant, checked.site
    env = environment(options.root, tenant.id)
    stamp = fingerprint(checked, template_fingerprint(env), options)
    previous_data = options.build_dir / tenant.id
    if _read_json(previous_data / STAMP_FILE) == stamp and (options.site_dir / tenant.id).is_dir():
        log.info("%s: unchanged", tenant.id)
        return None
    site_dir, previous = options.site_dir / tenant.id, previous_data / "index"
    patch = state is not None and state.defer_pagefind and site_dir.is_dir() and previous.is_dir()
    if patch:  # the preview: update the live folders file by file
        staged = Staged(
            checked,
            PatchTree(site_dir, frozenset({BUNDLE})),
            PatchTree(previous_data, frozenset({"index"})),
        )
    else:
        staged = Staged(checked, OutputTree(site_dir), OutputTree(previous_data))
    try:
        args = (
            staged.data.staging / "index",
            search_docs(site),
            previous if previous.is_dir() else None,
        )
        if pool:  # Whoosh in a worker while pages and Pagefind are written here
            staged.waits.append(pool.submit(write_index, *args).result)
        else:
            write_index(*args)
        records = write_pages(staged, env, options)
        old_bundle = site_dir / BUNDLE
        if state and state.defer_pagefind and old_bundle.is_dir():
            if not patch:  # a new tree starts with the last bundle; a patched one has it
                for path in sorted(old_bundle.rglob("*")):
                    if path.is_file():
                        rel = f"{BUNDLE}/{path.relative_to(old_bundle).as_posix()}"
                        staged.pages.link(rel, path, "the last Pagefind bundle")
            state.behind.append((site_dir, tenant.language))
        else:
            pagefind = SiteIndexing(staged.pages.staging, tenant.language)
            staged.waits.append(pagefind.wait)
            staged.cancel = pagefind.cancel
        staged.data.write("manifest.json", manifest(site), "kbgen/manifest.py")
        staged.data.write(
            PAGES_FILE, json.dumps(records, sort_keys=True).encode(), "kbgen/build.py"
        )
        staged.data.write(STAMP_FILE, json.dumps(stamp).encode(), "kbgen/build.py")
    except BaseException:
        _abort([staged])
        raise
    return staged


def _abort(staged: list[Staged]) -> None:
    for done in staged:
        done.cancel()
        done.pages.abort()
        done.data.abort()


def build(options: BuildOptions, state: BuildState | None = None) -> list[Checked]:
    """Check everything first, then write each tenant's site; the last good site survives."""
    checked = check(options, write_cache=True, state=state)
    staged: list[Staged] = []
    fresh = [c for c in checked if not (options.build_dir / c.tenant.id / "index").is_dir()]
    documents = sum(len(c.site.articles) + len(c.site.faqs) for c in fresh)
    try:
        with ExitStack() as stack:
            pool = stack.enter_context(process_pool()) if documents >= PARALLEL_THRESHOLD else None
            for item in checked:
                if done := stage_tenant(item, options, pool, state):
                    staged.append(done)
            for done in staged:
                done.finish()
        for done in staged:
            done.data.commit(background_cleanup=state is not None)
            done.pages.commit(background_cleanup=state is not None)
            log.info(
                "%s: %d files (%d unchanged) in %s",
                done.checked.tenant.id, len(done.pages.written), done.reused, done.pages.final,
            )  # fmt: skip
    except BaseException:
        _abort(staged)
        raise
    for item in checked:
        item.store.prune(
            {a.doc.key for a in item.site.articles} | {f.doc.key for f in item.site.faqs}
        )
    return checked
