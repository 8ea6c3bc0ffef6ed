"""Markdown rendering: features, link rewriting, escaping and raw-HTML policy."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from kbgen.build import build
from kbgen.config import BuildOptions
from kbgen.load import Source
from kbgen.render import LinkTable, Rendered, render_source
from kbgen.schema import ArticleMeta, KbCategory
from tests.conftest import Project

TABLE = LinkTable(
    pages={
        "articles/account/reset.md": "/eur/articles/reset/",
        "faqs/refunds.md": "/eur/faq/#refunds",
    },
    assets=frozenset({"images/shot.svg"}),
    base_path="/eur/",
)


def render(body: str, allow_html: bool = False, rel: str = "articles/guide/page.md") -> Rendered:
    meta = ArticleMeta(title="T", category=KbCategory.general, slug="page")
    source = Source("article", PurePosixPath(rel), f"content/eur/{rel}", meta, body, 5)
    return render_source(source, TABLE, allow_html)


def test_md_links_become_page_urls_with_anchor() -> None:
    out = render("[Reset](../account/reset.md#by-email) and [refunds](../../faqs/refunds.md)"
                 " ([how long](../../faqs/refunds.md#how-long))")  # fmt: skip
    assert '<a href="/eur/articles/reset/#by-email">Reset</a>' in out.html
    assert '<a href="/eur/faq/#refunds">refunds</a>' in out.html
    assert '<a href="/eur/faq/refunds/#how-long">how long</a>' in out.html
    assert [(r.target, r.anchor, r.line) for r in out.anchor_refs] == [
        ("articles/account/reset.md", "by-email", 5),
        ("faqs/refunds.md", "how-long", 5),
    ]
    assert out.problems == []


def test_images_point_at_copied_assets_and_load_lazily() -> None:
    out = render("![Settings screen](../../images/shot.svg)")
    assert '<img src="/eur/images/shot.svg" alt="Settings screen" loading="lazy"' in out.html
    assert out.assets == {"images/shot.svg"}


def test_heading_ids_are_stable_and_unique() -> None:
    out = render("## Set up SSO\n\n## Set up SSO\n\n### Step 1: Open *Settings*")
    assert [h.id for h in out.headings] == ["set-up-sso", "set-up-sso-1", "step-1-open-settings"]
    assert '<h2 id="set-up-sso">' in out.html


def test_code_is_highlighted_with_pygments() -> None:
    out = render('```python\nprint("hi")\n```\n\n```nosuchlang\n<b>x</b>\n```')
    assert (
        '<pre class="highlight" data-lang="python" data-label="Python" tabindex="0"'
        " data-pagefind-ignore><code>"
        '<span class="nb">print</span>' in out.html
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in out.html


def test_an_indented_code_block_is_code_as_a_fence_is() -> None:
    """Kept out of the search, scrollable by keyboard (a focusable block), with its Copy
    button (pre.highlight), as a fence without a language."""
    out = render("Run:\n\n    curl -H 'Authorization: <token>'\n")
    fence = render("Run:\n\n```\ncurl -H 'Authorization: <token>'\n```\n")
    assert out.html.strip() == fence.html.strip()
    assert '<pre class="highlight" tabindex="0" data-pagefind-ignore>' in out.html
    assert out.has_code and "curl" not in out.words.split()


def test_tables_callouts_footnotes_deflists_tasks() -> None:
    body = (
        "| Plan | Price |\n|---|---|\n| Pro | 10 |\n\n"
        "> [!WARNING]\n> Careful.\n\n"
        '!!! tip "Shortcut"\n    Press K.\n\n'
        "Term\n: Meaning\n\n"
        "- [x] done\n\n"
        "Fact.[^1]\n\n[^1]: Source.\n"
    )
    html = render(body).html
    assert '<div class="table-wrap" role="region" aria-label="Table" tabindex="0"><table>' in html
    assert '<div class="markdown-alert markdown-alert-warning">' in html
    assert '<p class="admonition-title">Shortcut</p>' in html
    assert "<dt>Term</dt>" in html
    assert 'class="task-list-item-checkbox" disabled="" type="checkbox" checked=""' in html
    assert 'class="footnote-ref"' in html


def test_raw_html_is_escaped_unless_allowed() -> None:
    body = "<script>alert(1)</script>\n\nText <b onclick='x()'>bold</b>"
    assert "<script>" not in render(body).html
    assert "&lt;script&gt;" in render(body).html
    assert "<b onclick='x()'>" not in render(body).html
    assert "<script>alert(1)</script>" in render(body, allow_html=True).html


def test_javascript_links_are_not_rendered_as_links() -> None:
    assert 'href="javascript' not in render("[x](javascript:alert(1))").html


def test_plain_text_for_search_has_no_markup() -> None:
    out = render("## Hello *world*\n\nUse `kb --help` now.\n\n```bash\nls -la\n```")
    assert out.text == "Hello world Use kb --help now. ls -la"


def test_problem_lines_count_soft_breaks() -> None:
    out = render("First line\nsecond line\nthird [bad](../nope.md)")
    assert [(p.line, p.field) for p in out.problems] == [(7, "link")]


def test_asset_addresses_are_percent_encoded() -> None:
    table = LinkTable(pages={}, assets=frozenset({"images/screen shot.png", "files/price#2.pdf"}),
                      base_path="/eur/")  # fmt: skip
    meta = ArticleMeta(title="T", category=KbCategory.general, slug="page")
    body = "![The screen](../../images/screen%20shot.png) [prices](../../files/price%232.pdf)"
    source = Source("article", PurePosixPath("articles/a/p.md"), "p.md", meta, body, 5)
    out = render_source(source, table, False)
    assert '<img src="/eur/images/screen%20shot.png"' in out.html
    assert '<a href="/eur/files/price%232.pdf">prices</a>' in out.html
    assert out.problems == []


def test_file_names_in_other_scripts_become_ascii_slugs(project: Project) -> None:
    project.article("billing/Überweisung für Straße.md", "title: Transfer\ncategory: billing")
    project.article("billing/Счёт.md", "title: Invoice\ncategory: billing")
    build(BuildOptions(root=project.root, today=dt.date(2026, 11, 25)))
    pages = project.root / "site/eur/articles"
    assert (pages / "uberweisung-fur-strasse/index.html").is_file()
    assert (pages / "schet/index.html").is_file()


def test_only_pages_with_code_load_the_highlighting_stylesheet(project: Project) -> None:
    project.article("start/code.md", "title: Code\ncategory: general", "```python\nx = 1\n```\n")
    project.faq("plain.md", "question: Plain?\ncategory: general")
    build(BuildOptions(root=project.root, today=dt.date(2026, 11, 25)))
    site = project.root / "site/eur"
    link = 'href="/eur/assets/pygments.'  # its fingerprinted name: pygments.<digest>.css
    assert link in (site / "articles/code/index.html").read_text()
    assert link not in (site / "articles/welcome/index.html").read_text()
    assert link not in (site / "faq/plain/index.html").read_text()
    assert link not in (site / "faq/index.html").read_text()
    assert link not in (site / "index.html").read_text()
    assert (site / "assets/pygments.css").is_file()
