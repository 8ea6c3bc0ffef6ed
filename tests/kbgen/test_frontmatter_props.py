"""Property tests of front-matter parsing, validation and slugs."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kbgen.frontmatter import split_front_matter
from kbgen.schema import SLUG_RE, ArticleMeta, KbCategory, slugify, validate_article

printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "")
slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))


@given(st.text(max_size=200))
def test_slugify_gives_a_valid_slug_or_nothing(text: str) -> None:
    slug = slugify(text)
    assert slug == "" or SLUG_RE.match(slug)
    assert slugify(slug) == slug


@given(
    title=printable,
    category=st.sampled_from(list(KbCategory)),
    tags=st.lists(st.from_regex(r"[a-z]{1,12}", fullmatch=True), max_size=5),
    published=dates,
    order=st.integers(-1000, 1000),
    slug=st.none() | slugs,
    related=st.lists(slugs, max_size=3),
)
def test_valid_front_matter_round_trips(
    title: str,
    category: KbCategory,
    tags: list[str],
    published: dt.date,
    order: int,
    slug: str | None,
    related: list[str],
) -> None:
    fields: dict[str, object] = {
        "title": title,
        "category": category.value,
        "tags": tags,
        "published": published.isoformat(),
        "order": order,
        "related": related,
    }
    if slug:
        fields["slug"] = slug
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\nBody\n"
    split = split_front_matter(text, "a.md")
    assert split.meta.problems == []
    meta, problems = validate_article(split.meta, "a.md", "from-file")
    assert problems == []
    assert meta == ArticleMeta(
        title=title.strip(),
        category=category,
        slug=slug or "from-file",
        tags=tuple(dict.fromkeys(tags)),  # a value listed twice counts once
        published=published,
        order=order,
        related=tuple(dict.fromkeys(related)),
    )
    assert split.body == "Body\n"


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_front_matter_gives_metadata_or_located_problems(header: str) -> None:
    text = "---\n" + header + "\n---\nBody\n"
    split = split_front_matter(text, "x.md")
    problems = list(split.meta.problems)
    if not problems:
        meta, problems = validate_article(split.meta, "x.md", "x")
        assert (meta is None) == bool(problems)
    lines = text.count("\n") + 1
    for problem in problems:
        assert problem.path == "x.md"
        assert 1 <= problem.line <= lines
        assert problem.field
