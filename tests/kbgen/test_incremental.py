"""Incremental builds: the same bytes as a build from scratch, and only changed work redone."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest

from kbgen import incremental
from kbgen.build import BuildState, build
from kbgen.cache import HEADER, RenderStore
from kbgen.config import BuildOptions
from kbgen.render import LinkTable, Rendered
from kbgen.search import indexed_documents, search, whoosh_index
from tests.conftest import REPO, Project

TODAY = dt.date(2026, 11, 25)
QUERIES = [("eur", "refund"), ("eur", "password"), ("km", "tiles"), ("eur", "zebra crossing")]


def site_files(root: Path) -> dict[str, bytes]:
    """Return the site and manifests by path, less Pagefind's non-deterministic indexes."""
    files = {}
    for path in sorted((root / "site").rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not ("/pagefind/" in rel and "/pagefind/fragment/" not in rel):
            files[rel] = path.read_bytes()
    for path in sorted((root / "build").glob("*/manifest.json")):
        files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def site_folders(root: Path) -> set[str]:
    """Return the site's folders outside Pagefind's bundle."""
    folders = {p.relative_to(root).as_posix() for p in (root / "site").rglob("*") if p.is_dir()}
    return {f for f in folders if "/pagefind" not in f}


def pagefind_text(root: Path, tenant: str) -> str:
    """Return every Pagefind fragment of a tenant's site, decompressed."""
    frags = sorted((root / "site" / tenant / "pagefind" / "fragment").glob("*.pf_fragment"))
    return "\n".join(gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in frags)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "inc"
    shutil.copytree(REPO / "content", root / "content")
    build(BuildOptions(root=root, today=TODAY))
    return root


def edit(root: Path) -> None:
    """Change one article, delete another, add a third: what a writer does in an afternoon."""
    articles = root / "content/eur/articles"
    refunds = articles / "billing/refunds.md"
    refunds.write_text(refunds.read_text().replace("Request a refund", "Ask for a refund zebra"))
    (articles / "integrations/slack-integration.md").unlink()
    for page in articles.rglob("*.md"):  # links and related lists that named the deleted article
        text = page.read_text()
        text = text.replace("slack-integration, ", "").replace(", slack-integration", "")
        text = text.replace("[slack-integration]", "[]")
        page.write_text(
            text.replace("../integrations/slack-integration.md", "https://example.com/")
        )
    faq = root / "content/eur/faqs/slack-multiple-channels.md"
    faq.write_text(
        faq.read_text().replace(
            "../articles/integrations/slack-integration.md", "https://example.com/"
        )
    )
    (articles / "billing/crossing.md").write_text(
        "---\ntitle: Zebra crossing fees\ncategory: billing\nupdated: 2026-11-24\n---\nFees.\n"
    )


def test_incremental_build_equals_a_build_from_scratch(sample: Path, tmp_path: Path) -> None:
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    fresh = tmp_path / "fresh"
    shutil.copytree(sample / "content", fresh / "content")
    build(BuildOptions(root=fresh, today=TODAY))
    assert site_files(sample) == site_files(fresh)
    # Whoosh names segment files at random, so the indexes compare by what they hold; scores
    # may differ in the last digits (deleted documents count in term statistics until a merge).
    for tenant in ("eur", "km"):
        held = indexed_documents(sample / "build" / tenant / "index")
        assert held == indexed_documents(fresh / "build" / tenant / "index")
    for tenant, query in QUERIES:
        got = [r.slug for r in search(tenant, query, build_dir=sample / "build")]
        assert got == [r.slug for r in search(tenant, query, build_dir=fresh / "build")], query


def test_the_previews_patched_site_equals_a_build_from_scratch(tmp_path: Path) -> None:
    root = tmp_path / "preview"
    shutil.copytree(REPO / "content", root / "content")
    options = BuildOptions(root=root, today=TODAY)
    state = BuildState(defer_pagefind=True)  # as kbgen serve builds
    build(options, state)
    state.catch_up()
    edit(root)
    build(options, state)
    state.catch_up()
    fresh = tmp_path / "fresh"
    shutil.copytree(root / "content", fresh / "content")
    build(BuildOptions(root=fresh, today=TODAY))
    assert site_files(root) == site_files(fresh)
    assert site_folders(root) == site_folders(fresh)  # the deleted article's folder too
    assert not list(root.glob("site/*/**/*.kbgen-tmp"))
    for tenant in ("eur", "km"):
        held = indexed_documents(root / "build" / tenant / "index")
        assert held == indexed_documents(fresh / "build" / tenant / "index")


def test_deleted_article_leaves_every_list_and_index(sample: Path) -> None:
    assert "/eur/articles/slack-integration/" in (sample / "site/eur/sitemap.xml").read_text()
    assert "slack-integration" in pagefind_text(sample, "eur")
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    site = sample / "site/eur"
    assert not (site / "articles/slack-integration").exists()
    for page in ("sitemap.xml", "feed.xml", "categories/integration/index.html", "index.html"):
        assert "/eur/articles/slack-integration/" not in (site / page).read_text(), page
    assert "slack-integration" not in (sample / "build/eur/manifest.json").read_text()
    assert [r.slug for r in search("eur", "slack", build_dir=sample / "build")][:1] != [
        "slack-integration"
    ]
    assert "slack-integration" not in {
        r.slug for r in search("eur", "slack notifications", build_dir=sample / "build")
    }
    assert "/eur/articles/slack-integration/" not in pagefind_text(sample, "eur")
    assert "Zebra crossing fees" in (site / "categories/billing/index.html").read_text()


def test_a_draft_built_once_with_drafts_leaves_no_text_in_the_index(sample: Path) -> None:
    """Whoosh keeps a deleted document's text in its segment's files until they are merged:
    a draft previewed with --drafts stayed on disk in build/, which goes to the service."""
    sample.joinpath("content/eur/articles/billing/launch.md").write_text(
        "---\ntitle: Launch\ncategory: billing\nstatus: draft\n---\nQUOKKASECRET launch.\n"
    )
    build(BuildOptions(root=sample, today=TODAY, drafts=True))
    index = sample / "build/eur/index"

    def holding() -> list[str]:
        return [p.name for p in index.iterdir() if b"quokkasecret" in p.read_bytes().lower()]

    assert holding()  # the draft is indexed in the preview (stored fields are compressed:
    build(BuildOptions(root=sample, today=TODAY))  # the posting list's word is not)
    assert holding() == []
    assert search("eur", "quokkasecret", build_dir=sample / "build") == []


def test_unchanged_pages_are_reused_and_changed_ones_rewritten(sample: Path) -> None:
    site = sample / "site/eur"
    keep = site / "articles/api-keys/index.html"
    inode = keep.stat().st_ino
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    assert keep.stat().st_ino == inode  # linked from the last build, not rendered again
    assert "Ask for a refund zebra" in (site / "articles/refunds/index.html").read_text()
    # The refunds article's neighbours show its new title, so they were rendered again too.
    shown = [
        p for p in site.glob("articles/*/index.html") if "Ask for a refund zebra" in p.read_text()
    ]
    assert len(shown) > 1


def test_pages_listing_the_whole_site_are_rendered_again_only_when_what_they_show_changes(
    sample: Path,
) -> None:
    site = sample / "site/eur"
    lists = ("faq/index.html", "sitemap.xml", "feed.xml")
    inodes = {rel: (site / rel).stat().st_ino for rel in lists}
    older = sample / "content/eur/articles/account/change-email-address.md"  # not in the feed
    older.write_text(older.read_text() + "\nOne more sentence.\n")
    build(BuildOptions(root=sample, today=TODAY))
    assert {rel: (site / rel).stat().st_ino for rel in lists} == inodes
    faq = sample / "content/eur/faqs/slack-multiple-channels.md"
    faq.write_text(faq.read_text() + "\nPlatypus answer.\n")
    refunds = sample / "content/eur/articles/billing/refunds.md"
    refunds.write_text(refunds.read_text().replace("updated: 2026-10-12", "updated: 2026-11-24"))
    build(BuildOptions(root=sample, today=TODAY))
    assert "Platypus answer" in (site / "faq/index.html").read_text()
    assert "<lastmod>2026-11-24</lastmod>" in (site / "sitemap.xml").read_text()
    assert "<updated>2026-11-24T00:00:00Z</updated>" in (site / "feed.xml").read_text()


def test_a_tenant_with_no_changes_is_left_alone(sample: Path) -> None:
    untouched = sample / "site/km/index.html"  # a page rendered on every build that writes km
    inode = untouched.stat().st_ino
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    assert untouched.stat().st_ino == inode
    assert "Zebra crossing fees" in (sample / "site/eur/categories/billing/index.html").read_text()


def test_an_index_of_another_format_is_redone_though_nothing_else_changed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that changes the index (or moves the analyzer it pickles) re-indexes all."""
    options = BuildOptions(root=project.root, quiet=True)
    with monkeypatch.context() as older:  # as an earlier kbgen built it
        older.setattr(whoosh_index, "INDEX_FORMAT", 0)
        older.setattr(incremental, "INDEX_FORMAT", 0)
        build(options)
    with pytest.raises(FileNotFoundError, match="outdated"):
        search("eur", "welcome", build_dir=project.root / "build")
    build(options)
    assert [r.slug for r in search("eur", "welcome", build_dir=project.root / "build")] == [
        "welcome"
    ]


def test_an_edited_template_re_renders_every_page_using_it(sample: Path) -> None:
    template = sample / "templates/site/article.html"
    template.parent.mkdir(parents=True)
    original = (REPO / "templates/site/article.html").read_text()
    template.write_text(original.replace("<h1>", '<h1 class="edited">'))
    build(BuildOptions(root=sample, today=TODAY))
    articles = list((sample / "site/eur/articles").glob("*/index.html"))
    assert articles and all('<h1 class="edited">' in p.read_text() for p in articles)
    assert '<h1 class="edited">' not in (sample / "site/eur/faq/index.html").read_text()


def test_a_template_edited_again_in_the_same_process_is_compiled_again(sample: Path) -> None:
    # Compiled templates outlive a build (kbgen serve); the edit must still show.
    template = sample / "templates/site/article.html"
    template.parent.mkdir(parents=True)
    original = (REPO / "templates/site/article.html").read_text()
    for mark in ("first", "second"):
        template.write_text(original.replace("<h1>", f'<h1 class="{mark}">'))
        build(BuildOptions(root=sample, today=TODAY))
        page = next((sample / "site/eur/articles").glob("*/index.html"))
        assert f'<h1 class="{mark}">' in page.read_text()


def test_render_cache_skips_unchanged_documents(sample: Path) -> None:
    cache = sample / "build/.cache/eur/render"
    before = {p: p.stat().st_mtime_ns for p in cache.glob("*/*.entry")}
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    after = {p: p.stat().st_mtime_ns for p in cache.glob("*/*.entry")}
    kept = [p for p in before if p in after and after[p] == before[p]]
    assert len(kept) >= len(before) - 4  # only edited documents (and their linkers) re-render
    assert len(after) == len(before)  # one deleted, one added; stale entries are pruned


def test_each_rendering_is_one_file_in_the_cache(sample: Path) -> None:
    # A cold build of a small site spends much of its time creating files: one per document.
    documents = len(list((sample / "content/eur").rglob("*.md")))
    cached = [p for p in (sample / "build/.cache/eur/render").rglob("*") if p.is_file()]
    assert 0 < len(cached) <= documents
    assert {p.suffix for p in cached} == {".entry"}


def test_a_moved_project_reuses_its_render_cache(sample: Path, tmp_path: Path) -> None:
    expected = site_files(sample)
    moved = tmp_path / "moved"
    shutil.move(sample, moved)
    shutil.rmtree(moved / "site")  # every page is made again, from the cached renderings
    stamps = {p: p.stat().st_mtime_ns for p in (moved / "build/.cache").rglob("*.entry")}
    build(BuildOptions(root=moved, today=TODAY))
    assert site_files(moved) == expected
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # read, not rendered again


def test_an_earlier_versions_cache_files_are_pruned(sample: Path) -> None:
    cache = sample / "build/.cache/eur/render"
    folder = next(cache.iterdir())
    left = [folder / f"{'0' * 64}{suffix}" for suffix in (".meta", ".html", ".txt")]
    for path in left:
        path.write_bytes(b"from an earlier version")
    edit(sample)
    build(BuildOptions(root=sample, today=TODAY))
    assert not any(path.exists() for path in left)


def test_a_cache_entry_cut_short_is_rendered_again(sample: Path) -> None:
    # A machine losing power after a rename can leave a file shorter than was written.
    expected = site_files(sample)
    entries = sorted((sample / "build/.cache/eur/render").rglob("*.entry"))
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:-7])  # the end of the text, cut
    shutil.rmtree(sample / "site")
    build(BuildOptions(root=sample, today=TODAY))
    assert site_files(sample) == expected
    for entry in entries:  # each made again, whole
        data = entry.read_bytes()
        assert len(data) == HEADER.size + sum(HEADER.unpack(data[: HEADER.size]))


def test_a_rendering_replaced_under_its_key_is_read_whole(tmp_path: Path) -> None:
    # Two processes (kbgen serve and a CLI build) can hold the same key, and a rendering whose
    # link targets changed is made again under it, with other lengths.
    table = LinkTable(pages={}, assets=frozenset(), base_path="/eur/")
    first, second = RenderStore(tmp_path, True), RenderStore(tmp_path, True)
    held = first.put("k" * 64, Rendered("<p>short</p>", [], "short"))
    second.put("k" * 64, Rendered("<p>much longer than before</p>", [], "much longer"))
    assert (held.html, held.text) == ("<p>much longer than before</p>", "much longer")
    assert first.get("k" * 64, table) is held  # this process's facts stay as they were


def test_the_preview_prunes_the_renderings_its_edits_replace(tmp_path: Path) -> None:
    root = tmp_path / "preview"
    shutil.copytree(REPO / "content", root / "content")
    options = BuildOptions(root=root, today=TODAY)
    state = BuildState(defer_pagefind=True)  # one process, as kbgen serve builds
    cache = root / "build/.cache/eur/render"
    build(options, state)
    first = set(cache.glob("*/*.entry"))
    for n in range(2):
        refunds = root / "content/eur/articles/billing/refunds.md"
        refunds.write_text(refunds.read_text() + f"\nEdit number {n}.\n")
        build(options, state)
    now = set(cache.glob("*/*.entry"))
    assert len(now) == len(first)  # each edit's new rendering replaced the one before
    assert len(now - first) == 1
    state.catch_up()
