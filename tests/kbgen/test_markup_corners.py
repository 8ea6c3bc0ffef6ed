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


@pytest.mark.parametrize("lang", ["python", "", "nosuchlang"])
def test_leading_blank_lines_of_code_are_kept(lang: str) -> None:
    html = render(f"```{lang}\n\n\nx = 1\n\n```\n").html
    code = html.split("<code>", 1)[1].split("</code>", 1)[0]
    assert code.startswith("\n\n")
    assert re.sub(r"<[^>]+>", "", code) == "\n\nx = 1\n\n"


def test_only_double_tildes_strike_through() -> None:
    html = render("Takes ~5 minutes~ or ~~two~~ hours; ~a~ b").html
    assert html == "<p>Takes ~5 minutes~ or <s>two</s> hours; ~a~ b</p>\n"
