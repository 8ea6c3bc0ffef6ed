"""The write stage: each tenant's pages, indexes and data files staged, then swapped in."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from kbgen.assets import read_manifest
from kbgen.config import BuildOptions
from kbgen.incremental import (
    ORIGIN,
    PAGES_FILE,
    STAMP_FILE,
    BuildState,
    Lagging,
    PageRecords,
    carry_pagefind,
    fingerprint,
    patch_live,
    stamp_json,
    unchanged,
)
from kbgen.manifest import manifest, search_docs
from kbgen.pages import PageJob, environment, render_pages, template_fingerprint
from kbgen.progress import progress
from kbgen.search import (
    BUNDLE,
    INDEX_FOLDER,
    SiteIndexing,
    read_by_pagefind,
    updatable,
    write_index,
)
from kbgen.validate import Checked
from kbgen.vocabulary import vocabulary_files
from kbgen.workers import PARALLEL_THRESHOLD, process_pool
from kbgen.write import OutputTree, PatchTree, files_under, recover

log = logging.getLogger(__name__)
SERIAL_PAGEFIND = 4000  # pages to index in one build, from which tenants' runs take turns


@dataclass
class Staged:
    """A tenant's new site and data trees, complete in staging but not yet swapped in."""

    checked: Checked
    pages: OutputTree
    data: OutputTree
    index: Path  # the Whoosh index's folder, claimed in the data tree
    bundle: Path  # Pagefind's folder, claimed in the pages tree
    reused: int = 0
    waits: list[Callable[[], object]] = field(default_factory=list)  # background work to finish
    cancel: Callable[[], None] = lambda: None
    stamp: bytes = b""  # fingerprint.json, written last into a patched tree
    pagefind: Callable[[], object] = lambda: None  # waits for this tenant's Pagefind run
    whoosh: Callable[[], object] = lambda: None  # writes the Whoosh index, unless a pool does
    search_lags: bool = False  # the preview re-indexes later; the fingerprint waits for it
    env: jinja2.Environment | None = None  # the tenant's templates

    def seal(self) -> None:
        """Mark a patched tenant complete; a swapped tree had its fingerprint in staging."""
        if isinstance(self.data, PatchTree) and not self.search_lags:
            self.data.write(STAMP_FILE, self.stamp, ORIGIN)

    def finish(self) -> None:
        """Wait for this tenant's files and background indexing; raise if any of it failed."""
        self.pages.flush()
        self.data.flush()
        for wait in self.waits:
            wait()

    def abort(self) -> None:
        """Stop the background indexing and throw both staging trees away."""
        self.cancel()
        self.pages.abort()
        self.data.abort()


def open_trees(checked: Checked, options: BuildOptions, state: BuildState | None) -> Staged:
    """Open a tenant's pages and data trees and claim the folders its two indexes write.

    The trees are fresh staging folders, or in the preview the live folders, patched.
    """
    site_dir = options.site_dir / checked.tenant.id
    data_dir = options.build_dir / checked.tenant.id
    pages: OutputTree
    data: OutputTree
    if state is not None and patch_live(site_dir, data_dir / INDEX_FOLDER, state):
        # Patching makes the live trees half new until commit: without the fingerprint, an
        # interrupted patch (its .kbgen-tmp files too) is never taken for an unchanged tenant.
        (data_dir / STAMP_FILE).unlink(missing_ok=True)
        pages = PatchTree(site_dir, state.take_files_left(site_dir))
        data = PatchTree(data_dir, state.take_files_left(data_dir))
    else:
        pages, data = OutputTree(site_dir), OutputTree(data_dir)
    index = data.claim_folder(INDEX_FOLDER, "the Whoosh index")
    bundle = pages.claim_folder(BUNDLE, "Pagefind")
    return Staged(checked, pages, data, index, bundle)


def start_whoosh(staged: Staged, options: BuildOptions, pool: Executor | None) -> None:
    """Write the Whoosh index from the last one: now in a worker if there is a pool, otherwise
    later (start_pagefind says when)."""
    previous = options.build_dir / staged.checked.tenant.id / INDEX_FOLDER
    last = previous if previous.is_dir() else None
    site = staged.checked.site
    if pool:
        staged.waits.append(pool.submit(write_index, staged.index, search_docs(site), last).result)
    else:
        staged.whoosh = lambda: write_index(staged.index, search_docs(site), last)


def write_pages(
    staged: Staged,
    env: jinja2.Environment,
    options: BuildOptions,
    records: PageRecords,
    searchable_written: Callable[[], object] = lambda: None,
) -> None:
    """Write the tenant's pages into staging, linking those unchanged since the last build.

    The pages Pagefind reads come first, and `searchable_written` is called once they are
    all written: Pagefind can index them while the other pages (tags, categories, the home
    page) are made.
    """
    tenant, pages = staged.checked.tenant, staged.pages
    jobs = list(render_pages(env, staged.checked.site))
    searchable: list[PageJob] = []
    others: list[PageJob] = []
    for job in jobs:
        (searchable if read_by_pagefind(job.rel) else others).append(job)
    # The tenant's own files first: Pagefind reads any HTML among them too.
    for asset in sorted(staged.checked.assets):
        source = options.content_dir / tenant.id / asset
        pages.copy(str(asset), source, str(source))
    with progress(f"{tenant.id}: write", len(jobs), options.quiet) as advance:
        for job in searchable:
            _write_page(staged, job, records)
            advance(1)
        pages.flush()  # Pagefind reads them
        searchable_written()
        for job in others:
            _write_page(staged, job, records)
            advance(1)
    # A page a browser or CDN cached a minute ago names the last build's theme files: they
    # stay one build more (the manifest lists only this build's).
    written = {job.rel for job in jobs}
    previous = options.site_dir / tenant.id
    for name in sorted(set(read_manifest(previous).values())):
        rel = f"assets/{name}"
        if rel not in written and (previous / rel).is_file():
            pages.link(rel, previous / rel, "the last build's theme file")
    for rel, data in vocabulary_files(staged.checked.site).items():
        pages.write(rel, data, "kbgen/vocabulary.py")
    pages.flush()  # every page's record is made once it is written


def _write_page(staged: Staged, job: PageJob, records: PageRecords) -> None:
    """Write one page, or link it from the last site if its bytes would be the same."""
    last = records.reusable(job)
    if last is not None:
        staged.pages.link(job.rel, last, job.origin)
        staged.reused += 1
    else:
        staged.pages.write(job.rel, job.make(), job.origin, lambda path: records.written(job, path))


def start_pagefind(
    staged: Staged, state: BuildState | None, after: Callable[[], object] = lambda: None
) -> None:
    """Index the written pages with Pagefind in the background and the Whoosh index (if no
    worker did) when the tenant finishes, beside it; the preview defers both until its site
    is swapped in. `after` is waited for first (another tenant's Pagefind run)."""
    language = staged.checked.tenant.language
    in_place = isinstance(staged.data, PatchTree)  # a swapped tree takes its index along
    whoosh_later = staged.whoosh if in_place else lambda: None
    lag = Lagging(
        staged.pages.final, language, staged.data.final / STAMP_FILE, staged.stamp, whoosh_later
    )
    carried = carry_pagefind(state, lag, staged.bundle)
    if not (carried and in_place):
        staged.waits.append(staged.whoosh)
    if carried:
        staged.search_lags = True
        return
    after()
    indexing = SiteIndexing(staged.pages.staging, language, staged.bundle)
    staged.waits.append(indexing.wait)
    staged.pagefind, staged.cancel = indexing.wait, indexing.cancel


def open_tenant(
    checked: Checked, options: BuildOptions, pool: Executor | None, state: BuildState | None
) -> Staged | None:
    """Open a tenant's staging trees and start its Whoosh index, or return None when nothing
    it depends on changed."""
    env = environment(options.root, checked.tenant.id)
    stamp = fingerprint(checked, template_fingerprint(env), options)
    if unchanged(checked.tenant.id, stamp, options):
        log.info("%s: unchanged", checked.tenant.id)
        return None
    staged = open_trees(checked, options, state)
    staged.env, staged.stamp = env, stamp_json(stamp)
    try:
        start_whoosh(staged, options, pool)
    except BaseException:
        staged.abort()
        raise
    return staged


def fill_tenant(
    staged: Staged,
    options: BuildOptions,
    state: BuildState | None,
    pagefind_after: Callable[[], object] | None = None,
) -> None:
    """Write an opened tenant's pages and data files.

    Its Pagefind run starts as soon as the pages it reads are written; given
    `pagefind_after` (another tenant's run to wait for), once every page is, so that the
    wait holds up no writing."""
    assert staged.env is not None  # set by open_tenant
    records = PageRecords(options, staged.checked.tenant.id)
    if pagefind_after is None:
        write_pages(staged, staged.env, options, records, lambda: start_pagefind(staged, state))
    else:
        write_pages(staged, staged.env, options, records)
        start_pagefind(staged, state, pagefind_after)
    staged.data.write("manifest.json", manifest(staged.checked.site), "kbgen/manifest.py")
    staged.data.write(PAGES_FILE, records.to_json(), ORIGIN)
    if not isinstance(staged.data, PatchTree) and not staged.search_lags:
        staged.data.write(STAMP_FILE, staged.stamp, ORIGIN)


def warm_up(checked: list[Checked], options: BuildOptions, state: BuildState) -> None:
    """Do ahead, in a long-lived process, what its first patch of a tenant would do first.

    A preview started on a site built before finds every tenant unchanged, so its first
    edit would compile the templates, count the site's words and list its trees (about a
    second at 5,000 articles). Done once the site is served, the first edit costs no more
    than the next; a tenant this process wrote or warmed already is left alone.
    """
    for item in checked:
        site_dir = options.site_dir / item.tenant.id
        data_dir = options.build_dir / item.tenant.id
        if site_dir in state.left or not site_dir.is_dir():
            continue
        env = environment(options.root, item.tenant.id)
        for name in env.list_templates():
            if not name.startswith("static/"):
                # A writer's broken (or binary) file: the build reports it where it is used.
                with contextlib.suppress(jinja2.TemplateError, UnicodeError, OSError):
                    env.get_template(name)
        vocabulary_files(item.site)
        state.leave(data_dir, files_under(data_dir, {INDEX_FOLDER}))
        state.leave(site_dir, files_under(site_dir, {BUNDLE}))


def abort_all(staged: list[Staged]) -> None:
    """Abort every tenant staged so far; the last good sites stay as they were."""
    for done in staged:
        done.abort()


def clean_leftovers(checked: list[Checked], options: BuildOptions) -> None:
    """Clean what an interrupted build left of these tenants, whether they changed or not.

    A build killed after a swap leaves the old tree beside the new one (.<tenant>.old-…),
    which deploying site/ would publish. OutputTree recovers only the tenants it stages, so
    an unchanged tenant's leftovers are cleaned here, with those of the Pagefind bundle the
    preview's catch-up swaps inside a site.
    """
    for item in checked:
        recover(options.site_dir / item.tenant.id)
        recover(options.build_dir / item.tenant.id)
        recover(options.site_dir / item.tenant.id / BUNDLE)


def _documents(tenants: list[Checked]) -> int:
    """Return how many articles and FAQs the tenants publish together."""
    return sum(len(c.site.articles) + len(c.site.faqs) for c in tenants)


def stage_all(
    checked: list[Checked], options: BuildOptions, state: BuildState | None
) -> list[Staged]:
    """Stage every changed tenant and wait for its indexes; abort them all if any fails."""
    clean_leftovers(checked, options)
    staged: list[Staged] = []
    # A process pool pays off for indexes made from scratch, not for a few changed documents.
    fresh = [c for c in checked if not updatable(options.build_dir / c.tenant.id / INDEX_FOLDER)]
    documents = _documents(fresh)
    # Pagefind holds about half a MB per page it indexes: on a large site, tenants' runs at
    # once would need gigabytes, so there each waits for the last (its pages are written
    # meanwhile); small sites keep them side by side.
    one_at_a_time = _documents(checked) >= SERIAL_PAGEFIND
    try:
        with ExitStack() as stack:
            pool = stack.enter_context(process_pool()) if documents >= PARALLEL_THRESHOLD else None
            # Every tenant's Whoosh index starts before any page is written: on two cores,
            # the second tenant's index started after the first tenant's pages was the last
            # thing a small build waited for.
            for item in checked:
                if opened := open_tenant(item, options, pool, state):
                    staged.append(opened)
            for number, done in enumerate(staged):
                after = staged[number - 1].pagefind if number and one_at_a_time else None
                fill_tenant(done, options, state, after)
            for done in staged:
                done.finish()
    except BaseException:
        abort_all(staged)
        raise
    return staged


def commit_all(staged: list[Staged], state: BuildState | None) -> None:
    """Swap every staged tenant's trees in, data first; abort the rest if one swap fails.
    A long-lived process deletes the old trees in the background and remembers the new."""
    background_cleanup = state is not None
    try:
        for done in staged:
            done.data.commit(background_cleanup=background_cleanup)
            done.pages.commit(background_cleanup=background_cleanup)
            done.seal()
            if state is not None:
                state.leave(done.data.final, done.data.written)
                state.leave(done.pages.final, done.pages.written)
            log.info(
                "%s: %d files (%d unchanged) in %s",
                done.checked.tenant.id, len(done.pages.written), done.reused, done.pages.final,
            )  # fmt: skip
    except BaseException:
        abort_all(staged)
        raise
