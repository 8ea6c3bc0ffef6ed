"""Incremental builds: what the last build left behind, and what of it a new build may reuse.

Per tenant, build/<tenant>/ keeps pages.json (which file each keyed page became) and
fingerprint.json (a digest of every input), and build/.cache/<tenant>/render the renderings.
A long-lived process (kbgen serve) also keeps a BuildState between builds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbgen.cache import RenderStore, atomic_write
from kbgen.config import BuildOptions, TenantConfig
from kbgen.load import LoadMemo
from kbgen.nav import Article, Faq
from kbgen.pages import PageJob
from kbgen.search import BUNDLE, INDEX_FORMAT, SiteIndexing
from kbgen.validate import Checked
from kbgen.write import link_or_copy, swap_in

PAGES_FILE = "pages.json"  # page path -> [key, inode, mtime] of the last build
STAMP_FILE = "fingerprint.json"  # digest of all a tenant's inputs at its last build
ORIGIN = "kbgen/incremental.py"  # the writer of both, for the output tree's messages


@dataclass
class BuildState:
    """What a long-lived process (kbgen serve) keeps between builds, to redo only what changed.

    With `defer_pagefind`, a tenant's site is swapped in with its last Pagefind bundle and
    Whoosh index, and `catch_up()` brings both up to date afterwards: the preview reloads at
    once and search follows.
    """

    memos: dict[str, LoadMemo] = field(default_factory=dict)
    stores: dict[str, RenderStore] = field(default_factory=dict)
    defer_pagefind: bool = False
    behind: list[Lagging] = field(default_factory=list)  # sites whose search lags, oldest first
    left: dict[Path, Left] = field(default_factory=dict)  # output trees as the last build left them

    def leave(self, folder: Path, files: Iterable[str]) -> None:
        """Remember the files a build just left in an output folder."""
        self.left[folder] = Left(_identity(folder), frozenset(files))

    def take_files_left(self, folder: Path) -> frozenset[str] | None:
        """Return the files this process's last build left in `folder`, if it is still that
        folder (another build swapping its own tree in replaces the folder itself), and forget
        them: a build that patches the folder and fails leaves it holding others."""
        left = self.left.pop(folder, None)
        return left.files if left is not None and left.folder == _identity(folder) else None

    def catch_up(self) -> None:
        """Re-index the sites whose indexes were carried over from an earlier build, and only
        then write each one's fingerprint: a preview stopped before its search caught up is
        rebuilt by the next build, not taken for unchanged with a stale search."""
        while self.behind:
            lag = self.behind.pop(0)
            fresh = lag.site / f".{BUNDLE}.new"
            shutil.rmtree(fresh, ignore_errors=True)
            pagefind = SiteIndexing(lag.site, lag.language, fresh)
            lag.whoosh()  # in this process, while Pagefind runs in its own
            pagefind.wait()
            # Pagefind leaves old files in a folder it writes to; a fresh one swapped in does not.
            retired = swap_in(fresh, lag.site / BUNDLE)
            if retired:
                shutil.rmtree(retired)
            atomic_write(lag.stamp_file, lag.stamp)


@dataclass(frozen=True)
class Left:
    """An output folder as a build of this process left it: which folder, and what is in it.

    The preview patches it on the next build and needs not ask the disk what it holds.
    """

    folder: tuple[int, int] | None  # device and inode
    files: frozenset[str]  # every file the build made, by path inside the folder


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        stat = folder.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


@dataclass(frozen=True)
class Lagging:
    """A site swapped in with its last Pagefind bundle and Whoosh index, and the fingerprint
    it gets once its search is re-indexed."""

    site: Path
    language: str
    stamp_file: Path
    stamp: bytes
    whoosh: Callable[[], object]  # brings the live Whoosh index up to date


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


def prune_render_stores(checked: list[Checked]) -> None:
    """Delete the cached renderings that no current document of each tenant uses."""
    for item in checked:
        item.store.prune(
            {a.doc.key for a in item.site.articles} | {f.doc.key for f in item.site.faqs}
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _same_file(path: Path | str, record: list[Any]) -> bool:
    """Say whether `path` is still the very file the last build recorded."""
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return [stat.st_ino, stat.st_mtime_ns] == record[1:]


def fingerprint(checked: Checked, theme: str, options: BuildOptions) -> str:
    """Return a digest of everything a tenant's output depends on."""
    # The index format too: an index another kbgen wrote must be redone even if nothing else is.
    head = f"{theme}|{INDEX_FORMAT}|{checked.tenant!r}|{options.drafts}"
    digest = hashlib.sha256(head.encode())
    docs: list[Article | Faq] = [*checked.site.articles, *checked.site.faqs]
    for item in docs:
        digest.update(f"{item.doc.key}|{item.source.meta_digest}|".encode())
    for asset in sorted(checked.assets):
        stat = (options.content_dir / checked.tenant.id / asset).stat()
        digest.update(f"{asset}|{stat.st_size}|{stat.st_mtime_ns}|".encode())
    return digest.hexdigest()


def unchanged(tenant_id: str, stamp: str, options: BuildOptions) -> bool:
    """Say whether the tenant's last build had the very same inputs and its site is in place."""
    previous = _read_json(options.build_dir / tenant_id / STAMP_FILE)
    return previous == stamp and (options.site_dir / tenant_id).is_dir()


def stamp_json(stamp: str) -> bytes:
    """Return fingerprint.json holding `stamp`, for the next build's `unchanged()`."""
    return json.dumps(stamp).encode()


def patch_live(site_dir: Path, index: Path, state: BuildState | None) -> bool:
    """Say whether to update the live folders file by file (the preview) instead of swapping.

    Only a preview that defers Pagefind does, and only once there is a site and an index.
    """
    return state is not None and state.defer_pagefind and site_dir.is_dir() and index.is_dir()


def carry_pagefind(state: BuildState | None, lag: Lagging, bundle: Path) -> bool:
    """Give the new site the last Pagefind bundle and queue its re-index, in the preview.

    Return False when Pagefind must run now instead: not deferring, or no bundle to carry.
    """
    old = lag.site / BUNDLE
    if state is None or not state.defer_pagefind or not old.is_dir():
        return False
    if bundle != old:  # a new tree starts with the last bundle; a patched one has it already
        shutil.copytree(old, bundle, copy_function=link_or_copy)
    # A later build of the site supersedes what an earlier one left to catch up: re-indexing
    # makes both indexes hold exactly its documents (the earlier ones' renderings may be
    # pruned already).
    state.behind = [earlier for earlier in state.behind if earlier.site != lag.site]
    state.behind.append(lag)
    return True


class PageRecords:
    """pages.json of a tenant: the key, inode and time of every keyed page of a build.

    A page whose key did not change is linked from the last site instead of rendered, if its
    file there is still the one recorded: checked by inode, so a half-finished build is never
    taken for the last good one.
    """

    def __init__(self, options: BuildOptions, tenant_id: str) -> None:
        self.before: dict[str, list[Any]] = (
            _read_json(options.build_dir / tenant_id / PAGES_FILE) or {}
        )
        self.site_dir = options.site_dir / tenant_id
        self.records: dict[str, list[Any]] = {}

    def reusable(self, job: PageJob) -> str | None:
        """Return the last build's file of this page if its bytes would be the same."""
        old = self.before.get(job.rel)
        path = os.path.join(self.site_dir, job.rel)  # a string: this runs for every page
        if job.key and old and old[0] == job.key and _same_file(path, old):
            self.records[job.rel] = old  # the very same file, so the same inode and time
            return path
        return None

    def written(self, job: PageJob, path: str) -> None:
        """Record the file a keyed page was just written to."""
        if job.key:
            stat = os.stat(path)
            self.records[job.rel] = [job.key, stat.st_ino, stat.st_mtime_ns]

    def to_json(self) -> bytes:
        """Return pages.json with this build's records, in a stable order."""
        return json.dumps(self.records, sort_keys=True).encode()
