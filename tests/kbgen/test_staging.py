"""Staging: what an interrupted build leaves behind is cleaned by the next, and nothing else."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from kbgen import staging
from kbgen.build import BuildState, build
from kbgen.config import BuildOptions
from kbgen.errors import ContentError, KbgenError
from kbgen.search import SiteIndexing, read_by_pagefind, search
from kbgen.search.pagefind import pagefind_command
from tests.conftest import REPO, Project
from tests.kbgen.test_incremental import pagefind_text, site_files

KILL_SECONDS = 60

# Dies right after the eur site is swapped in, before its old tree is removed.
KILLED_AFTER_THE_SWAP = """
import os, signal
from kbgen import write
from kbgen.cli import main
original = write.swap_in
def swap_then_die(staging, final):
    retired = original(staging, final)
    if final.name == "eur" and final.parent.name == "site":
        os.kill(os.getpid(), signal.SIGKILL)
    return retired
write.swap_in = swap_then_die
main(["--root", ROOT, "-q", "build"])
"""

# The preview patching the live site: dies with a page's new bytes written beside it.
KILLED_MID_PATCH = """
import os, signal
from pathlib import Path
from kbgen import write
from kbgen.build import BuildState, build
from kbgen.config import BuildOptions
from kbgen.errors import ContentError, KbgenError
original = write.PatchTree._replace
def replace_and_die(self, target, fill):
    def fill_then_die(path):
        fill(path)
        if target.endswith("articles/welcome/index.html"):
            os.kill(os.getpid(), signal.SIGKILL)
    original(self, target, fill_then_die)
write.PatchTree._replace = replace_and_die
build(BuildOptions(root=Path(ROOT), quiet=True), BuildState(defer_pagefind=True))
"""

# The preview patching the live site: dies before the pages it no longer makes are removed.
KILLED_BEFORE_THE_PATCH_COMMITS = """
import os, signal
from pathlib import Path
from kbgen import write
from kbgen.build import BuildState, build
from kbgen.config import BuildOptions
from kbgen.errors import ContentError, KbgenError
original = write.PatchTree.commit
def die_first(self, background_cleanup=False):
    if self.final.parent.name == "site":
        os.kill(os.getpid(), signal.SIGKILL)
    original(self, background_cleanup)
write.PatchTree.commit = die_first
build(BuildOptions(root=Path(ROOT), quiet=True), BuildState(defer_pagefind=True))
"""


def run_killed(script: str, root: Path) -> None:
    """Run `script` on the project at `root` in a process of its own, which must be killed."""
    code = f"ROOT = {str(root)!r}\n" + textwrap.dedent(script)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=KILL_SECONDS)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def from_scratch(project: Project, tmp_path: Path) -> dict[str, bytes]:
    """Return the files a fresh build of the project's content makes elsewhere."""
    fresh = tmp_path / "fresh"
    shutil.copytree(project.root / "content", fresh / "content")
    build(BuildOptions(root=fresh, quiet=True))
    return site_files(fresh)


def names(folder: Path) -> list[str]:
    """Return the names in `folder`, hidden ones included."""
    return sorted(p.name for p in folder.iterdir())


def test_a_build_killed_after_the_swap_is_cleaned_up_by_the_next(
    project: Project, tmp_path: Path
) -> None:
    root = project.root
    build(BuildOptions(root=root, quiet=True))
    (root / "content/eur/articles/start/welcome.md").write_text(
        "---\ntitle: Welcome back\ncategory: getting_started\n---\nBody text.\n"
    )
    (root / "content/km/articles/start/hello.md").write_text(
        "---\ntitle: Hello again\ncategory: general\n---\nBody text.\n"
    )
    run_killed(KILLED_AFTER_THE_SWAP, root)
    left = names(root / "site")
    assert [n for n in left if n.startswith(".eur.old-")] and [n for n in left if ".km.new-" in n]
    build(BuildOptions(root=root, quiet=True))
    assert names(root / "site") == ["eur", "km"]
    assert names(root / "build") == [".cache", "eur", "km"]
    assert "Welcome back" in (root / "site/eur/articles/welcome/index.html").read_text()
    assert site_files(root) == from_scratch(project, tmp_path)


def test_a_preview_killed_mid_patch_is_not_taken_for_an_unchanged_site(
    project: Project, tmp_path: Path
) -> None:
    """Even when the content is back to what the last finished build saw."""
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    welcome = project.root / "content/eur/articles/start/welcome.md"
    good = welcome.read_text()
    welcome.write_text(good.replace("Body text.", "Half written."))
    run_killed(KILLED_MID_PATCH, project.root)
    assert len(names(project.root / "site/eur/articles/welcome")) > 1  # the page's new bytes
    welcome.write_text(good)
    build(options)
    assert names(project.root / "site") == ["eur", "km"]
    assert site_files(project.root) == from_scratch(project, tmp_path)


def test_a_preview_killed_before_its_patch_commits_is_not_taken_for_finished(
    project: Project, tmp_path: Path
) -> None:
    """The live site still has the deleted article's page: the next build removes it."""
    gone = project.article("start/gone.md", "title: Gone soon\ncategory: general")
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    gone.unlink()
    run_killed(KILLED_BEFORE_THE_PATCH_COMMITS, project.root)
    assert (project.root / "site/eur/articles/gone/index.html").exists()
    build(options)
    assert not (project.root / "site/eur/articles/gone").exists()
    assert site_files(project.root) == from_scratch(project, tmp_path)


def test_every_leftover_of_an_interrupted_build_goes_though_nothing_changed(
    project: Project,
) -> None:
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    before = site_files(project.root)
    leftovers = [
        "site/.eur.new-4242",  # a staging tree
        "site/.eur.old-4242-0",  # a retired tree
        "site/.km.old-4242",  # a retired tree, as kbgen named it before counting them
        "build/.eur.new-4242",
        "build/.km.old-4242-3",
        "site/eur/.pagefind.new",  # the preview's Pagefind catch-up
        "site/eur/.pagefind.old-4242-1",
    ]
    for rel in leftovers:
        (project.root / rel).mkdir()
        (project.root / rel / "index.html").write_text("stale")
    build(options)
    assert names(project.root / "site") == ["eur", "km"]
    assert names(project.root / "build") == [".cache", "eur", "km"]
    assert site_files(project.root) == before


def test_a_writers_own_files_beside_the_sites_are_kept(project: Project) -> None:
    """Only kbgen's exact names are cleaned; site/<tenant>/ itself is the build's own."""
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    own = {
        "site/CNAME": "help.example",
        "site/.well-known/security.txt": "Contact: mailto:security@example.com",
        "site/.eur.old-drafts/notes.md": "kept",
        "site/.eur.new-ideas/notes.md": "kept",
        "site/.eur.old-12-3-draft/notes.md": "kept",
        "site/eur.old-12-3/notes.md": "kept",
        "build/.eur.old-notes/notes.md": "kept",
    }
    for rel, text in own.items():
        project.write(rel, text)
    project.article("start/welcome.md", "title: Welcome back\ncategory: getting_started")
    build(options)
    assert {rel: (project.root / rel).read_text() for rel in own} == own
    assert "Welcome back" in (project.root / "site/eur/articles/welcome/index.html").read_text()


def _whoosh_finds(project: Project, query: str) -> list[str]:
    return [hit.slug for hit in search("eur", query, build_dir=project.root / "build")]


def test_a_preview_stopped_before_its_search_caught_up_is_rebuilt(project: Project) -> None:
    """The preview swaps a site in with its last search indexes and re-indexes afterwards;
    stopped in between, the next build must not keep the stale search as unchanged."""
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    project.article("start/welcome.md", "title: Welcome\ncategory: getting_started",
                    "Zanzibar quokkas.\n")  # fmt: skip
    state = BuildState(defer_pagefind=True)
    build(options, state)  # the page is new; its search is not, until state.catch_up()
    assert "quokkas" in (project.root / "site/eur/articles/welcome/index.html").read_text()
    assert "quokkas" not in pagefind_text(project.root, "eur")
    assert _whoosh_finds(project, "quokkas") == []
    build(options)  # the preview was stopped: catch_up() never ran
    assert "quokkas" in pagefind_text(project.root, "eur")
    assert _whoosh_finds(project, "quokkas") == ["welcome"]


def test_a_caught_up_preview_leaves_a_site_the_next_build_keeps(project: Project) -> None:
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    project.article("start/welcome.md", "title: Welcome\ncategory: getting_started",
                    "Zanzibar quokkas.\n")  # fmt: skip
    state = BuildState(defer_pagefind=True)
    build(options, state)
    state.catch_up()
    assert "quokkas" in pagefind_text(project.root, "eur")
    assert _whoosh_finds(project, "quokkas") == ["welcome"]
    page = project.root / "site/eur/articles/welcome/index.html"
    before = page.stat().st_ino
    build(options)
    assert page.stat().st_ino == before  # unchanged: not written again


def test_a_killed_builds_temporary_cache_files_are_pruned(project: Project) -> None:
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    [folder] = {p.parent for p in (project.root / "build/.cache/eur/render").glob("*/*.entry")}
    old, fresh = folder / ".tmp-killed", folder / ".tmp-writing-now"
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    project.article("start/welcome.md", "title: Welcome again\ncategory: getting_started")
    build(options)
    assert not old.exists() and fresh.exists()  # a running build's file is left alone


def test_on_a_large_site_each_tenants_pagefind_run_waits_for_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pagefind holds about half a MB per page: two runs at once over a large site would need
    # gigabytes. The sample stands in for a large site with the threshold lowered to one page.
    root = tmp_path / "large"
    shutil.copytree(REPO / "content", root / "content")
    runs: list[SiteIndexing] = []
    earlier_done: list[bool] = []

    class Recorded(SiteIndexing):
        def __init__(self, folder: Path, language: str, output: Path | None = None) -> None:
            earlier_done.append(all(run.process.poll() is not None for run in runs))
            super().__init__(folder, language, output)
            runs.append(self)

    def first_run_slow(command: list[str], **options: Any) -> subprocess.Popen[str]:
        if not runs:  # so that it is still running when the next tenant's pages are written
            command = ["sh", "-c", 'sleep 2; exec "$@"', "sh", *command]
        return popen(command, **options)

    popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", first_run_slow)
    monkeypatch.setattr(staging, "SiteIndexing", Recorded)
    monkeypatch.setattr(staging, "SERIAL_PAGEFIND", 1)
    build(BuildOptions(root=root, quiet=True))
    assert earlier_done == [True, True]
    for tenant, word in (("eur", "refund"), ("km", "geocoding")):
        assert word in pagefind_text(root, tenant).lower()


def test_pagefind_starts_once_the_pages_it_reads_are_written_before_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It then indexes while the tag, category and home pages are made, instead of after.
    root = tmp_path / "early"
    shutil.copytree(REPO / "content", root / "content")
    legacy = root / "content/eur/articles/billing/legacy.html"  # a writer's own page, copied
    legacy.write_text('<html lang="en"><body data-pagefind-body><h1>Quokka invoices</h1>'
                      "<p>Old quokka billing terms.</p></body></html>")  # fmt: skip
    seen: list[tuple[set[str], set[str]]] = []  # (pages it reads, other pages) at its start

    class Recorded(SiteIndexing):
        def __init__(self, folder: Path, language: str, output: Path | None = None) -> None:
            written = {p.relative_to(folder).as_posix() for p in folder.rglob("*.html")}
            seen.append(({r for r in written if read_by_pagefind(r)}, written))
            super().__init__(folder, language, output)

    monkeypatch.setattr(staging, "SiteIndexing", Recorded)
    build(BuildOptions(root=root, quiet=True))
    for (read, written), tenant in zip(seen, ("eur", "km"), strict=True):
        site = {p.relative_to(root / "site" / tenant).as_posix()
                for p in (root / "site" / tenant).rglob("*.html")}  # fmt: skip
        assert read == {r for r in site if read_by_pagefind(r) and not r.startswith("pagefind/")}
        assert "index.html" not in written and not any(r.startswith("tags/") for r in written)
    assert "articles/billing/legacy.html" in seen[0][0]
    for tenant, word in (("eur", "refund"), ("eur", "quokka"), ("km", "geocoding")):
        assert word in pagefind_text(root, tenant).lower()


def test_the_pagefind_binary_path_names_the_binary_a_build_runs(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pagefind_command()
    assert len(real) == 1 and Path(real[0]).is_file()  # the wheel's binary, no interpreter
    calls = tmp_path / "calls"
    wrapper = tmp_path / "my-pagefind"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real[0]} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(wrapper))
    build(BuildOptions(root=project.root, quiet=True))
    assert len(calls.read_text().splitlines()) == 2  # one run per tenant
    assert (project.root / "site" / "eur" / "pagefind" / "pagefind.js").is_file()


@pytest.mark.parametrize("left_over", ["pagefind.yml", "PAGEFIND_ROOT_SELECTOR"])
def test_pagefind_settings_left_where_kbgen_runs_do_not_change_its_index(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, left_over: str
) -> None:
    """A writer who used Pagefind directly may keep its settings file where they run kbgen,
    or its variables in their shell: kbgen's index is the same without and with them."""
    project.article("start/refunds.md", "title: Refunds\ncategory: general", "Ask for a refund.\n")
    where = tmp_path / "shell"
    where.mkdir()
    monkeypatch.chdir(where)
    if left_over == "pagefind.yml":
        (where / "pagefind.yml").write_text('exclude_selectors: ["[data-pagefind-body]"]\n')
    else:
        monkeypatch.setenv(left_over, "footer")
    build(BuildOptions(root=project.root, quiet=True))
    assert "ask for a refund" in pagefind_text(project.root, "eur").lower()


def test_a_tenants_failed_pagefind_fails_the_build_and_leaves_no_run_behind(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """eur's run fails after km's has ended: the error names it, and km's finished run is
    reaped with its pipes closed (an unclosed pipe is a ResourceWarning, an error here)."""
    popen = subprocess.Popen

    def eur_fails_late(command: list[str], **options: Any) -> subprocess.Popen[str]:
        if "--site" in command and ".eur." in command[command.index("--site") + 1]:
            command = ["sh", "-c", "sleep 1; echo no index >&2; exit 3"]
        return popen(command, **options)

    monkeypatch.setattr(subprocess, "Popen", eur_fails_late)
    with pytest.raises(KbgenError, match=r"pagefind failed on .*eur.* \(exit 3\): no index"):
        build(BuildOptions(root=project.root, quiet=True))
    gc.collect()  # a pipe left open warns when its file object is collected
    assert not (project.root / "site" / "eur").exists()


def test_a_pagefind_that_cannot_be_started_is_a_clear_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")
    with pytest.raises(KbgenError, match=r"cannot run pagefind \(/nonexistent/pagefind\)"):
        build(BuildOptions(root=project.root, quiet=True))
    assert not (project.root / "site" / "eur").exists()  # nothing half-built was swapped in


def test_a_build_hands_the_garbage_collector_back_as_it_found_it(project: Project) -> None:
    """A build collects less often and sets what was alive aside; a long-lived process (the
    preview) gets its collector's settings back, and nothing stays exempt from collection,
    whether the build succeeded or failed."""
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    build(BuildOptions(root=project.root, quiet=True), BuildState(defer_pagefind=True))
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
    project.article("start/broken.md", "title: Broken\ncategory: nope")
    with pytest.raises(ContentError):
        build(BuildOptions(root=project.root, quiet=True))
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
