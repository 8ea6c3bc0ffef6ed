"""Markdown corners writers hit: comments, code's blank lines, tildes and unique heading ids."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import PurePosixPath

import pytest
from markdown_it import MarkdownIt

from kbgen.build import check
from kbgen.config import BuildOptions
from kbgen.load import Source
from kbgen.markup import PAGE_IDS, markdown
from kbgen.pages import environment, package_templates, render_pages
from kbgen.render import LinkTable, Rendered, render_source
from kbgen.schema import ArticleMeta, KbCategory
from tests.conftest import REPO, Project

TABLE = LinkTable(pages={}, assets=frozenset(), base_path="/eur/")
TODAY = dt.date(2026, 11, 25)


def render(body: str, allow_html: bool = False) -> Rendered:
    meta = ArticleMeta(title="T", category=KbCategory.general, slug="page")
    rel = "articles/guide/page.md"
    source = Source("article", PurePosixPath(rel), f"content/eur/{rel}", meta, body, 5)
    return render_source(source, TABLE, allow_html)


class _Attrs(HTMLParser):
    """Collects the ids and the same-page link targets of an HTML page, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hash_links: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value is not None:
                self.ids.append(value)
            elif tag == "a" and name == "href" and value and value.startswith("#"):
                self.hash_links.append(value[1:])


def duplicates(html: str) -> list[str]:
    return [i for i, n in Counter(_Attrs(html).ids).items() if n > 1]


COMMENTED = """\
<!-- note to self: block -->

Before <!-- note to self: inline --> after.

<!--
note to self: spans

a blank line
-->

- item <!-- note to self: in a list -->

| a | b |
|---|---|
| 1 <!-- note to self: in a cell --> | 2 |

Code keeps it: `<!-- shown -->`
"""


@pytest.mark.parametrize("allow_html", [False, True])
def test_html_comments_are_never_shown(allow_html: bool) -> None:
    out = render(COMMENTED, allow_html)
    assert "note to self" not in out.html
    assert "note to self" not in out.text
    assert "<p>Before  after.</p>" in out.html
    assert "<li>item </li>" in out.html
    assert "<code>&lt;!-- shown --&gt;</code>" in out.html


@pytest.mark.parametrize("allow_html", [False, True])
def test_a_comment_in_a_heading_is_not_part_of_its_id(allow_html: bool) -> None:
    out = render("## Set up SSO <!-- rename later -->\n", allow_html)
    assert [h.id for h in out.headings] == ["set-up-sso"]
    assert "rename later" not in out.html


@pytest.mark.parametrize("allow_html", [False, True])
def test_a_comment_between_lines_of_a_list_item_keeps_them_apart(allow_html: bool) -> None:
    out = render("- one\n  <!-- note to self -->\n  two\n", allow_html)
    assert out.html == "<ul>\n<li>one\ntwo</li>\n</ul>\n"


def test_an_unclosed_comment_stays_visible_when_html_is_off() -> None:
    # Hiding everything after a forgotten --> would lose the rest of the page silently.
    assert "&lt;!-- forgot to close" in render("<!-- forgot to close\n\nText.\n").html


@pytest.mark.parametrize("lang", ["python", "", "nosuchlang"])
def test_leading_blank_lines_of_code_are_kept(lang: str) -> None:
    html = render(f"```{lang}\n\n\nx = 1\n\n```\n").html
    code = html.split("<code>", 1)[1].split("</code>", 1)[0]
    assert code.startswith("\n\n")
    assert re.sub(r"<[^>]+>", "", code) == "\n\nx = 1\n\n"


def test_only_double_tildes_strike_through() -> None:
    html = render("Takes ~5 minutes~ or ~~two~~ hours; ~a~ b").html
    assert html == "<p>Takes ~5 minutes~ or <s>two</s> hours; ~a~ b</p>\n"


def test_heading_ids_avoid_footnote_and_page_ids() -> None:
    body = "## fn1\n\n## Search\n\n## Main\n\n## Main\n\nFact.[^1]\n\n[^1]: Source.\n"
    out = render(body)
    assert [h.id for h in out.headings] == ["fn1-1", "search-1", "main-1", "main-2"]
    assert duplicates(out.html) == []
    assert 'href="#fn1"' in out.html and '<li id="fn1"' in out.html


def test_a_heading_without_slug_text_still_gets_an_id() -> None:
    assert [h.id for h in render("## ???\n\n## !!!\n").headings] == ["section", "section-1"]


def test_every_id_of_kbgen_s_templates_is_kept_from_headings() -> None:
    folder = package_templates()
    literal = {
        match
        for path in [*folder.glob("site/*.html"), *folder.glob("shared/*.html")]
        for match in re.findall(r'\bid="([^"{]+)"', path.read_text(encoding="utf-8"))
    }
    assert literal
    assert literal <= PAGE_IDS


def site_pages(project: Project) -> dict[str, str]:
    """Check the project and render its HTML pages without writing them."""
    [checked] = check(BuildOptions(root=project.root, tenants=("eur",), today=TODAY))
    jobs = render_pages(environment(project.root, "eur"), checked.site)
    return {j.rel: j.make().decode() for j in jobs if j.rel.endswith(".html")}


def test_answers_on_the_faq_page_have_unique_ids(project: Project) -> None:
    answer = "See [the steps](#steps).[^1]\n\n## Steps\n\nDo it.\n\n[^1]: A note.\n"
    project.faq("a.md", "question: First?\ncategory: billing\nslug: first", answer)
    project.faq("b.md", "question: Second?\ncategory: billing\nslug: second", answer)
    # A heading may also read like another question's slug or a category's group on the page.
    clash = "## First\n\n## FAQ billing\n\n[first](#first) [group](#faq-billing)\n"
    project.faq("c.md", "question: Third?\ncategory: billing\nslug: third", clash)
    project.article(
        "start/link.md", "title: Link\ncategory: general", "[steps](../../faqs/a.md#steps)\n"
    )
    pages = site_pages(project)
    page = pages["faq/index.html"]
    assert duplicates(page) == []
    found = _Attrs(page)
    assert set(found.hash_links) <= set(found.ids)
    # The first answer keeps its ids, so links to them from other pages still land.
    assert found.ids.index("steps") < found.ids.index("second-steps")
    # A link to an answer's heading goes to the answer's own page, where the id is its own.
    assert 'href="/eur/faq/first/#steps"' in pages["articles/link/index.html"]
    second = page.split('id="second"', 1)[1].split('id="third"', 1)[0]
    assert _Attrs(second).hash_links == ["second-steps", "second-fn1", "second-fnref1"]
    third = page.split('id="third"', 1)[1]
    assert _Attrs(third).hash_links == ["third-first", "third-faq-billing"]
    # Its own page is the answer alone: the ids the writer's links were checked against.
    own = _Attrs(pages["faq/second/index.html"])
    assert {"steps", "fn1", "fnref1"} <= set(own.ids)
    assert duplicates(pages["faq/second/index.html"]) == []


def test_faq_group_ids_come_from_the_model(project: Project) -> None:
    project.faq("a.md", "question: First?\ncategory: billing\nslug: first")
    page = site_pages(project)["faq/index.html"]
    assert '<section class="faq-group" aria-labelledby="faq-billing">' in page
    assert '<h2 id="faq-billing">' in page


def test_the_faq_page_keeps_answers_ids_that_are_unique(project: Project) -> None:
    """...and puts an answer's headings under its question (h3): `##` is an h4 there, not a
    sibling of the category headings (h2); on the answer's own page (the question is h1)
    it stays an h2."""
    project.faq("a.md", "question: First?\ncategory: billing\nslug: first", "## Steps\n")
    pages = site_pages(project)
    assert '<h4 id="steps">Steps</h4>' in pages["faq/index.html"]
    assert '<h2 id="steps">Steps</h2>' in pages["faq/first/index.html"]


# Every rule or option kbgen adds to CommonMark, by the name docs/writing.md gives it.
DOCUMENTED = {
    "table": "Tables",
    "strikethrough": "Strikethrough",
    "gfm_autolink_www": "Autolinks",
    "gfm_autolink_protocol": "Autolinks",
    "gfm_autolink_email": "Autolinks",
    "tasklists": "Task lists",
    "deflist": "Definition lists",
    "alerts": "Callouts",
    "admonition": "Callouts",
    "footnote_def": "Footnotes",
    "footnote_ref": "Footnotes",
    "footnote_tail": "Footnotes",
    "heading_ids": "Heading anchors",
    "highlight": "Code",
    "html_comment": "Comments",
}
# What one of the examples under each name must render to.
SHOWS: dict[str, Callable[[str], bool]] = {
    "Tables": lambda html: "<table>" in html,
    "Strikethrough": lambda html: "<s>old price</s>" in html,
    "Autolinks": lambda html: 'href="http://www.example.com"' in html,
    "Task lists": lambda html: 'type="checkbox" checked=""' in html,
    "Definition lists": lambda html: "<dt>Seat</dt>" in html,
    "Callouts": lambda html: "markdown-alert-warning" in html and "admonition tip" in html,
    "Footnotes": lambda html: 'class="footnote-ref"' in html,
    "Heading anchors": lambda html: '<h2 id="set-up-sso">' in html,
    "Code": lambda html: '<pre class="highlight" data-lang="python"' in html,
    "Comments": lambda html: not html.strip(),
}


def enabled_extensions(md: MarkdownIt) -> set[str]:
    """Return the rules and options `md` has on top of plain CommonMark."""
    plain = MarkdownIt("commonmark")
    base = plain.get_active_rules()
    rules = {r for chain, names in md.get_active_rules().items() for r in names}
    rules -= {r for names in base.values() for r in names}
    options = {k for k, v in md.options.items() if v and not plain.options.get(k)}
    return rules | options


def test_writing_md_documents_every_extension_with_an_example() -> None:
    assert enabled_extensions(markdown(False)) <= set(DOCUMENTED)
    text = (REPO / "docs" / "writing.md").read_text(encoding="utf-8")
    section = text.split("\n## Markdown\n", 1)[1].split("\n## ", 1)[0]
    shown: dict[str, list[str]] = {}
    for chunk in re.split(r"\n(?=\*\*)", section):
        if title := re.match(r"\*\*([^*]+)\*\*", chunk):
            fences = re.findall(r"^(`{3,})markdown\n(.*?)^\1$", chunk, re.M | re.S)
            prose = re.sub(r"^(`{3,}).*?^\1$", "", chunk, flags=re.M | re.S)
            examples = [body for _, body in fences] + re.findall(r"`([^`]+)`", prose)
            shown[title[1]] = [render(example).html for example in examples]
    for name in sorted(set(DOCUMENTED.values())):
        assert any(SHOWS[name](html) for html in shown.get(name, [])), name
