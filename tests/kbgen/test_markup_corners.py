"""Markdown corners writers hit: comments, code's blank lines, tildes and unique heading ids."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from kbgen.load import Source
from kbgen.render import LinkTable, Rendered, render_source
from kbgen.schema import ArticleMeta, KbCategory

TABLE = LinkTable(pages={}, assets=frozenset(), base_path="/eur/")


def render(body: str, allow_html: bool = False) -> Rendered:
    meta = ArticleMeta(title="T", category=KbCategory.general, slug="page")
    rel = "articles/guide/page.md"
    source = Source("article", PurePosixPath(rel), f"content/eur/{rel}", meta, body, 5)
    return render_source(source, TABLE, allow_html)


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
