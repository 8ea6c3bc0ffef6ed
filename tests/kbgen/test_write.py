"""The write stage: staging, refusal of bad paths, and the last good site surviving a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kbgen.build import BuildState, build
from kbgen.config import BuildOptions
from kbgen.errors import ContentError, KbgenError
from kbgen.write import OutputTree, PatchTree, recover
from tests.conftest import Project


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under `folder` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_refuses_paths_outside_the_output(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "site" / "eur")
    for bad in ("../escape.html", "/etc/passwd", "a/../../b.html", "a\\b.html"):
        with pytest.raises(KbgenError, match="outside"):
            tree.write(bad, b"x", "test")
    tree.abort()
    assert not (tmp_path / "escape.html").exists()


def test_refuses_two_sources_for_one_file(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "eur")
    tree.write("articles/a/index.html", b"1", "content/a.md")
    with pytest.raises(KbgenError, match="already written by content/a.md"):
        tree.write("articles/a/index.html", b"2", "content/b.md")
    tree.abort()


def test_a_claimed_folder_is_the_claimant_s_to_fill(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "eur")
    tree.write("index.html", b"home", "t")
    folder = tree.claim_folder("search/pagefind", "Pagefind")
    assert folder == tree.staging / "search" / "pagefind"
    assert folder.parent.is_dir() and not folder.exists()  # its writer makes it
    folder.mkdir()
    (folder / "pagefind.js").write_text("js")
    tree.commit()
    assert snapshot(tmp_path / "eur") == {
        "index.html": b"home",
        "search/pagefind/pagefind.js": b"js",
    }


@pytest.mark.parametrize("bad", ["../index", "/tmp/index", "a/../../index", "a\\index", ""])
def test_claims_outside_the_output_are_refused(tmp_path: Path, bad: str) -> None:
    tree = OutputTree(tmp_path / "eur")
    with pytest.raises(KbgenError, match="whoosh: refusing to write .* outside"):
        tree.claim_folder(bad, "whoosh")
    assert tree.claimed == {}
    tree.abort()


@pytest.mark.parametrize(
    ("first", "second"), [("index", "index"), ("data", "data/index"), ("data/index", "data")]
)
def test_a_folder_is_claimed_once(tmp_path: Path, first: str, second: str) -> None:
    """A claim may not repeat, nest in or hold another: two writers would share files."""
    tree = OutputTree(tmp_path / "eur")
    tree.claim_folder(first, "whoosh")
    with pytest.raises(KbgenError, match=f"cannot claim {second}/: {first}/ is claimed by whoosh"):
        tree.claim_folder(second, "pagefind")
    assert tree.claimed == {first: "whoosh"}
    tree.abort()


@pytest.mark.parametrize("written", ["pagefind/pagefind.js", "pagefind", "pagefind/x/y.css"])
def test_a_folder_holding_written_files_cannot_be_claimed(tmp_path: Path, written: str) -> None:
    tree = OutputTree(tmp_path / "eur")
    tree.write(written, b"x", "content/eur/pagefind.js")
    with pytest.raises(
        KbgenError, match=f"cannot claim pagefind/: {written} is written by content"
    ):
        tree.claim_folder("pagefind", "Pagefind")
    assert tree.claimed == {}
    tree.abort()


def test_writes_into_a_claimed_folder_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "logo.svg"
    source.write_text("<svg/>")
    tree = OutputTree(tmp_path / "eur")
    tree.claim_folder("pagefind", "Pagefind")
    for rel in ("pagefind/logo.svg", "pagefind", "pagefind/deep/logo.svg"):
        with pytest.raises(KbgenError, match=f"{rel} is in pagefind/, which Pagefind writes"):
            tree.copy(rel, source, str(source))
        with pytest.raises(KbgenError, match="which Pagefind writes"):
            tree.write(rel, b"x", "t")
        with pytest.raises(KbgenError, match="which Pagefind writes"):
            tree.link(rel, source, "t")
    tree.write("pagefinder/logo.svg", b"x", "t")  # a neighbour with a longer name is fine
    assert list(tree.written) == ["pagefinder/logo.svg"]
    tree.abort()


def test_a_patched_tree_claims_the_live_folder_and_keeps_it(tmp_path: Path) -> None:
    live = tmp_path / "eur"
    (live / "index").mkdir(parents=True)
    (live / "index" / "seg_1.seg").write_text("segment")
    (live / "old.html").write_text("gone")
    tree = PatchTree(live)
    assert tree.claim_folder("index", "whoosh") == live / "index"
    tree.write("new.html", b"new", "t")
    tree.commit()
    assert snapshot(live) == {"index/seg_1.seg": b"segment", "new.html": b"new"}


def test_a_patched_tree_told_its_files_removes_those_no_longer_made(tmp_path: Path) -> None:
    live = tmp_path / "eur"
    for rel in ("index/seg_1.seg", "a/gone/index.html", "a/kept/index.html", "mine.txt"):
        (live / rel).parent.mkdir(parents=True, exist_ok=True)
        (live / rel).write_text(rel)
    tree = PatchTree(live, frozenset({"a/gone/index.html", "a/kept/index.html"}))
    tree.claim_folder("index", "whoosh")
    tree.write("a/kept/index.html", b"kept", "t")
    tree.commit()
    # Only what the last build made is the tree's to remove; it lists nothing else.
    assert snapshot(live) == {
        "index/seg_1.seg": b"index/seg_1.seg", "a/kept/index.html": b"kept", "mine.txt": b"mine.txt"
    }  # fmt: skip
    assert not (live / "a/gone").exists()


def test_a_preview_build_that_failed_half_way_leaves_nothing_behind(project: Project) -> None:
    """A patch that fails after writing some pages: the next one removes what it wrote."""
    options = BuildOptions(root=project.root, quiet=True)
    state = BuildState(defer_pagefind=True)
    build(options, state)
    state.catch_up()
    build(options, state)  # a patch, with the files the last build left known
    project.article("start/extra.md", "title: Extra\ncategory: getting_started")
    failing = "{% extends 'base.html' %}{% block main %}{{ nope() }}{% endblock %}"
    project.write("content/eur/templates/faq.html", failing)
    with pytest.raises(KbgenError, match="faq"):
        build(options, state)  # the new article's page is written before the FAQ page fails
    (project.root / "content/eur/articles/start/extra.md").unlink()
    (project.root / "content/eur/templates/faq.html").unlink()
    build(options, state)
    assert not (project.root / "site/eur/articles/extra").exists()


def test_a_writer_s_file_where_pagefind_writes_fails_the_build(project: Project) -> None:
    project.write("content/eur/pagefind/notes.txt", "mine")
    with pytest.raises(ContentError) as caught:  # named by the check, before anything is written
        build(BuildOptions(root=project.root))
    assert [str(p) for p in caught.value.problems] == [
        "content/eur/pagefind/notes.txt:1: file: is in pagefind/, a folder kbgen fills itself; "
        "move this file elsewhere"
    ]
    assert not (project.root / "site").exists()  # not even a staging folder


def test_commit_replaces_the_whole_tree(tmp_path: Path) -> None:
    final = tmp_path / "eur"
    first = OutputTree(final)
    first.write("old.html", b"old", "t")
    first.commit()
    second = OutputTree(final)
    second.write("new.html", b"new", "t")
    second.commit()
    assert snapshot(final) == {"new.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eur"]


def test_a_file_that_could_not_be_written_fails_the_commit(tmp_path: Path) -> None:
    final = tmp_path / "eur"
    first = OutputTree(final)
    first.write("index.html", b"good", "t")
    first.commit()
    tree = OutputTree(final)
    for number in range(300):  # more than wait to be written at once
        tree.write(f"pages/{number}/index.html", str(number).encode(), "t")
    (tree.staging / "broken").write_bytes(b"a file where a folder must go")
    tree.write("broken/index.html", b"never", "t")  # written in the background: no error yet
    with pytest.raises(OSError):
        tree.commit()
    tree.abort()
    assert snapshot(tmp_path) == {"eur/index.html": b"good"}


def test_every_file_is_written_before_the_tree_is_swapped_in(tmp_path: Path) -> None:
    tree = OutputTree(tmp_path / "eur")
    recorded: list[str] = []
    for number in range(600):
        tree.write(f"p/{number % 7}/{number}.html", b"x" * number, "t", recorded.append)
    tree.commit()
    files = snapshot(tmp_path / "eur")
    assert files == {f"p/{n % 7}/{n}.html": b"x" * n for n in range(600)}
    assert len(recorded) == 600


def test_failed_build_leaves_the_last_good_site(project: Project) -> None:
    options = BuildOptions(root=project.root)
    build(options)
    before = snapshot(project.root / "site")
    project.article("start/broken.md", "title: Broken\ncategory: nope")
    with pytest.raises(KbgenError):
        build(options)
    assert snapshot(project.root / "site") == before


def test_recover_restores_a_site_retired_mid_swap(tmp_path: Path) -> None:
    (tmp_path / ".eur.old-123").mkdir()
    (tmp_path / ".eur.old-123" / "index.html").write_text("good")
    (tmp_path / ".eur.new-123").mkdir()
    recover(tmp_path / "eur")
    assert snapshot(tmp_path) == {"eur/index.html": b"good"}


def test_build_killed_midway_leaves_the_old_site_intact(project: Project) -> None:
    """SIGKILL the build process while it writes pages; the previous site must be untouched."""
    for i in range(30):
        project.article(f"many/page-{i}.md", f"title: Page {i}\ncategory: technical")
    build(BuildOptions(root=project.root))
    before = snapshot(project.root / "site")
    project.article("start/welcome.md", "title: Welcome back\ncategory: getting_started")
    script = textwrap.dedent(
        f"""
        import os, signal
        from kbgen import write
        from kbgen.cli import main
        original = write.OutputTree.write
        count = 0
        def dying_write(self, rel, data, origin, *then):
            global count
            count += 1
            if count == 10:
                os.kill(os.getpid(), signal.SIGKILL)
            original(self, rel, data, origin, *then)
        write.OutputTree.write = dying_write
        main(["--root", {str(project.root)!r}, "build"])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert any(p.name.startswith(".eur.new-") for p in (project.root / "site").iterdir())
    assert snapshot(project.root / "site" / "eur") == {
        k.removeprefix("eur/"): v for k, v in before.items() if k.startswith("eur/")
    }
    build(BuildOptions(root=project.root))
    leftovers = [p.name for p in (project.root / "site").iterdir()]
    assert sorted(leftovers) == ["eur", "km"]
    assert "Welcome back" in (project.root / "site/eur/articles/welcome/index.html").read_text()
    assert os.path.exists(project.root / "site/km/index.html")
