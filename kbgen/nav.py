"""The navigable model of one tenant's site: pages, categories, neighbours, related, redirects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kbgen.cache import Stored
from kbgen.config import TenantConfig
from kbgen.load import Source
from kbgen.markup import PAGE_IDS, demote_headings, rename_ids
from kbgen.render import Heading
from kbgen.schema import ArticleMeta, FaqMeta, KbCategory, slugify
from kbgen.urls import TAGS

RECENT_COUNT = 6


@dataclass(frozen=True)
class _Document:
    """What articles and FAQs share: their source, URL and rendering (read from the cache)."""

    source: Source
    url: str
    doc: Stored

    @property
    def slug(self) -> str:
        return self.source.slug

    @property
    def html(self) -> str:
        return self.doc.html

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def excerpt(self) -> str:
        return self.doc.excerpt

    @property
    def has_code(self) -> bool:
        return self.doc.has_code


@dataclass(frozen=True)
class Article(_Document):
    meta: ArticleMeta

    @property
    def updated(self) -> dt.date | None:
        """Return the date the article last changed, if the writer gave one."""
        return self.meta.updated or self.meta.published

    @property
    def headings(self) -> tuple[Heading, ...]:
        return self.doc.headings

    @property
    def toc(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.headings if h.level in (2, 3))


@dataclass(frozen=True)
class Faq(_Document):
    meta: FaqMeta

    @property
    def page_url(self) -> str:
        """Return the URL of the FAQ's own page (its entry on the FAQ page is `url`)."""
        return self.url.split("#", 1)[0] + self.slug + "/"


@dataclass
class Category:
    category: KbCategory
    url: str
    articles: list[Article] = field(default_factory=list)
    faqs: list[Faq] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.category.label

    @property
    def anchor(self) -> str:
        """Return the id of the category's group on the FAQ page."""
        return faq_group_id(self.category)


@dataclass
class Tag:
    """A tag of the writers' and the articles that carry it, on a page of its own."""

    name: str
    url: str
    articles: list[Article] = field(default_factory=list)


@dataclass
class TenantSite:
    """Everything the templates need to write one tenant's site."""

    tenant: TenantConfig
    articles: list[Article]
    faqs: list[Faq]
    categories: list[Category]
    neighbours: dict[str, tuple[Article | None, Article | None]]
    related: dict[str, list[Article]]
    redirects: dict[str, str]  # output path (relative to the site) -> target URL
    tags: list[Tag] = field(default_factory=list)  # by name

    @property
    def tags_url(self) -> str:
        """Return the page that lists every tag."""
        return tag_url(self.tenant)

    def tag_url(self, name: str) -> str:
        """Return the page of a tag ("" for a tag whose name gives no slug: "???")."""
        slug = slugify(name)
        return tag_url(self.tenant, slug) if slug else ""

    @property
    def recent(self) -> list[Article]:
        dated = [a for a in self.articles if a.updated]
        dated.sort(key=lambda a: (a.updated, a.slug), reverse=True)
        return dated[:RECENT_COUNT]

    @property
    def featured(self) -> list[Article]:
        return [a for a in self.articles if a.meta.featured]


def faq_page_answers(site: TenantSite) -> dict[str, str]:
    """Return each FAQ's answer (by slug) as the FAQ page shows it, its ids unique on that page.

    An answer keeps its ids, so links to them still land, unless the page already has one (the
    page's own, a question's or an earlier answer's); that one becomes `<slug>-<id>`. Its
    headings go two levels down, under its question's h3 (its own page has the question as h1).
    """
    taken = set(PAGE_IDS) | {c.anchor for c in site.categories} | {f.slug for f in site.faqs}
    return {f.slug: demote_headings(rename_ids(f.html, taken, f.slug), 2)
            for c in site.categories for f in c.faqs}  # fmt: skip


def article_url(tenant: TenantConfig, slug: str) -> str:
    """Return the root-relative URL of an article page."""
    return f"{tenant.base_path}articles/{slug}/"


def tag_url(tenant: TenantConfig, slug: str = "") -> str:
    """Return the root-relative URL of a tag's page (of the list of tags without a slug)."""
    return f"{tenant.base_path}{TAGS}{slug}/" if slug else f"{tenant.base_path}{TAGS}"


def faq_url(tenant: TenantConfig, slug: str) -> str:
    """Return the root-relative URL of an FAQ's entry on the FAQ page."""
    return f"{tenant.base_path}faq/#{slug}"


def faq_group_id(category: KbCategory) -> str:
    """Return the id of a category's group of questions on the FAQ page."""
    return f"faq-{category.path}"


def category_url(tenant: TenantConfig, category: KbCategory) -> str:
    """Return the root-relative URL of a category page."""
    return f"{tenant.base_path}categories/{category.path}/"


def redirect_output(path: str, base_path: str) -> str:
    """Map a redirect_from path to the file that serves it, relative to the tenant's site."""
    rel = path.removeprefix(base_path) if path.startswith(base_path) else path.lstrip("/")
    if not rel or rel.endswith("/"):
        return rel + "index.html"
    last = rel.rsplit("/", 1)[-1]
    return rel if "." in last else rel + "/index.html"


def build_site(
    tenant: TenantConfig,
    sources: list[Source],
    rendered: dict[str, Stored],
) -> TenantSite:
    """Assemble the navigation model from validated, rendered, published documents."""
    articles: list[Article] = []
    faqs: list[Faq] = []
    for source in sources:
        out = rendered[str(source.rel)]
        if isinstance(source.meta, ArticleMeta):
            url = article_url(tenant, source.slug)
            articles.append(Article(source, url, out, source.meta))
        else:
            url = faq_url(tenant, source.slug)
            faqs.append(Faq(source, url, out, source.meta))
    order = {c: i for i, c in enumerate(KbCategory)}
    articles.sort(
        key=lambda a: (order[a.meta.category], a.meta.order, a.meta.title.lower(), a.slug)
    )
    faqs.sort(key=lambda f: (order[f.meta.category], f.meta.order, f.meta.question.lower(), f.slug))
    categories = {c: Category(c, category_url(tenant, c)) for c in KbCategory}
    for article in articles:
        categories[article.meta.category].articles.append(article)
    for faq in faqs:
        categories[faq.meta.category].faqs.append(faq)
    used = [c for c in categories.values() if c.articles or c.faqs]
    neighbours: dict[str, tuple[Article | None, Article | None]] = {}
    for cat in used:
        for i, article in enumerate(cat.articles):
            prev = cat.articles[i - 1] if i > 0 else None
            nxt = cat.articles[i + 1] if i + 1 < len(cat.articles) else None
            neighbours[article.slug] = (prev, nxt)
    by_slug = {a.slug: a for a in articles}
    related = {
        a.slug: [by_slug[s] for s in a.meta.related if s in by_slug and s != a.slug]
        for a in articles
    }
    redirects = {
        redirect_output(path, tenant.base_path): a.url
        for a in articles
        for path in a.meta.redirect_from
    }
    tags: dict[str, Tag] = {}  # by slug
    for article in articles:
        for name in sorted(article.meta.tags):
            slug = slugify(name)
            if slug:
                tag = tags.setdefault(slug, Tag(name, tag_url(tenant, slug)))
                if not tag.articles or tag.articles[-1] is not article:  # "a b" and "a-b"
                    tag.articles.append(article)
    by_name = sorted(tags.values(), key=lambda t: t.name)
    return TenantSite(tenant, articles, faqs, used, neighbours, related, redirects, by_name)
