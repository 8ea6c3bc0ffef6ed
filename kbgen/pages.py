"""Turn a tenant's site model into output files through the Jinja2 templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from kbgen.highlight import pygments_css
from kbgen.nav import Article, TenantSite

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class OutputFile:
    rel: str  # path inside the tenant's site
    data: bytes
    origin: str  # the source or template that made it, for error messages


def environment(root: Path, tenant: str) -> jinja2.Environment:
    """Return the template environment: tenant overrides, then the project's, then defaults."""
    folders = [
        root / "content" / tenant / "templates",
        root / "templates" / "site",
        DEFAULT_TEMPLATES / "site",
    ]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d:%-d %B %Y}" if d else ""
    return env


def _feed_updated(site: TenantSite) -> dt.date:
    dates = [a.updated for a in site.articles if a.updated]
    return max(dates) if dates else dt.date(2000, 1, 1)


def render_pages(env: jinja2.Environment, site: TenantSite) -> Iterator[OutputFile]:
    """Yield every file of the tenant's site, one page at a time."""
    common: dict[str, Any] = {"site": site, "tenant": site.tenant, "categories": site.categories}

    def page(rel: str, template: str, origin: str = "", **context: Any) -> OutputFile:
        text = env.get_template(template).render(**common, **context)
        return OutputFile(rel, text.encode("utf-8"), origin or f"template {template}")

    base = site.tenant.base_path
    yield page("index.html", "home.html", page_url=base)
    for cat in site.categories:
        rel = f"categories/{cat.category.path}/index.html"
        yield page(rel, "category.html", category=cat, page_url=cat.url)
    for article in site.articles:
        yield _article_page(page, site, article)
    yield page("faq/index.html", "faq.html", page_url=f"{base}faq/")
    for faq in site.faqs:
        rel = f"faq/{faq.slug}/index.html"
        yield page(rel, "faq_entry.html", faq.source.display, faq=faq, page_url=faq.page_url)
    yield page("search/index.html", "search.html", page_url=f"{base}search/")
    yield page("404.html", "404.html", page_url=f"{base}404.html")
    for rel, target in sorted(site.redirects.items()):
        yield page(rel, "redirect.html", target=target, page_url=target)
    yield page("sitemap.xml", "sitemap.xml", page_url=f"{base}sitemap.xml")
    yield page("robots.txt", "robots.txt", page_url=f"{base}robots.txt")
    feed_updated = _feed_updated(site)
    yield page("feed.xml", "feed.xml", page_url=f"{base}feed.xml", feed_updated=feed_updated)
    yield OutputFile("assets/pygments.css", pygments_css().encode(), "kbgen/highlight.py")


def _article_page(page: Any, site: TenantSite, article: Article) -> OutputFile:
    prev, nxt = site.neighbours.get(article.slug, (None, None))
    result: OutputFile = page(
        f"articles/{article.slug}/index.html",
        "article.html",
        origin=article.source.display,
        article=article,
        prev=prev,
        next=nxt,
        related=site.related.get(article.slug, []),
        page_url=article.url,
    )
    return result


def static_files(env: jinja2.Environment) -> list[tuple[str, Path]]:
    """Return the theme's static files (CSS, JavaScript) as (output path, source) pairs."""
    found: dict[str, Path] = {}
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    # Earlier folders override later ones, file by file, like the templates themselves.
    for folder in reversed(loader.searchpath):
        static = Path(folder) / "static"
        if static.is_dir():
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    found["assets/" + path.relative_to(static).as_posix()] = path
    return sorted(found.items())
