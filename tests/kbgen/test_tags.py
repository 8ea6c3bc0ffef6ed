"""Tags: each links to a page listing the articles that carry it, and a page lists every tag."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kbgen.build import build
from kbgen.config import BuildOptions
from kbgen.errors import ContentError
from tests.conftest import Project


def test_tags_link_to_pages_listing_their_articles(project: Project) -> None:
    project.article("a/keys.md", "title: API keys\ncategory: api\ntags: [Security, keys]")
    project.article("a/sso.md", "title: Single sign-on\ncategory: general\ntags: [security]")
    project.article("a/odd.md", "title: Odd\ncategory: general\ntags: ['???', 'rate limit']")
    project.article("a/odd2.md", "title: Odd two\ncategory: general\ntags: [rate-limit]")
    build(BuildOptions(root=project.root, quiet=True, today=dt.date(2026, 11, 25)))
    site = project.root / "site" / "eur"
    keys = (site / "articles" / "keys" / "index.html").read_text()
    assert '<a class="tag" href="/eur/tags/security/">security</a>' in keys  # tags are lower-cased
    security = (site / "tags" / "security" / "index.html").read_text()
    assert '<h1>Tagged <span class="tag-name">security</span></h1>' in security
    listed = re.findall(r'<a href="/eur/articles/([^/]+)/">', security.split("<main", 1)[1])
    assert listed == ["keys", "sso"]  # in the site's order: by category, then title
    odd = (site / "articles" / "odd" / "index.html").read_text()
    assert '<span class="tag">???</span>' in odd  # a tag that gives no address is not linked
    shared = (site / "tags" / "rate-limit" / "index.html").read_text()  # one slug, one page
    assert re.findall(r'<a href="/eur/articles/([^/]+)/">', shared.split("<main", 1)[1]) == [
        "odd",
        "odd2",
    ]
    every = (site / "tags" / "index.html").read_text()
    assert re.findall(r'href="/eur/tags/([^/]+)/"', every) == [
        "keys",
        "rate-limit",
        "security",
    ]
    assert "/eur/tags/security/" in (site / "sitemap.xml").read_text()
    assert not (project.root / "site" / "km" / "tags").exists()  # km's article has no tags


def test_a_redirect_may_not_replace_a_tag_page(project: Project) -> None:
    project.article("a/keys.md", "title: API keys\ncategory: api\ntags: [keys]")
    project.article("a/new.md", "title: New\ncategory: api\nredirect_from: [/eur/tags/keys/]")
    with pytest.raises(ContentError) as caught:
        build(BuildOptions(root=project.root, quiet=True, today=dt.date(2026, 11, 25)))
    assert [p.message for p in caught.value.problems] == [
        "'/eur/tags/keys/' would replace tags/keys/index.html, which kbgen writes"
    ]
