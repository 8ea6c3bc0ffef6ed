"""Turn a tenant's site model into output files through the Jinja2 templates."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.resources
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from kbgen import __version__
from kbgen.assets import MANIFEST, Assets
from kbgen.config import TenantConfig
from kbgen.errors import KbgenError
from kbgen.highlight import pygments_css
from kbgen.nav import Article, Faq, TenantSite, faq_page_answers
from kbgen.urls import served_file

PACKAGE_TEMPLATES = "kbgen.templates"  # the repository's templates/, installed as package data


@functools.cache
def package_templates() -> Path:
    """Return the folder of kbgen's own templates (site/ and shared/), wherever it is installed."""
    folder = importlib.resources.files(PACKAGE_TEMPLATES)
    # Jinja2 loads from real folders: a zipped install, with no folder to point at, cannot work.
    if not isinstance(folder, Path):
        raise KbgenError(f"{PACKAGE_TEMPLATES} is not a folder on disk ({folder}); reinstall kbgen")
    return folder


@dataclass(frozen=True)
class PageJob:
    """One file of the site: how to make it, and a key that changes whenever its bytes would.

    A page whose key matches the last build's is linked from the last site instead of rendered.
    Pages that show the whole site (home, tags, search, 404) have no key and are always
    rendered: there are few of them.
    """

    rel: str  # path inside the tenant's site
    make: Callable[[], bytes]
    origin: str  # the source or template that made it, for error messages
    key: str | None = None


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _listed(documents: Sequence[Article | Faq]) -> list[tuple[str, str]]:
    """Return what a list page shows of its documents, for its cache key: each one's address
    and front-matter (title, summary, category...). A site of thousands of articles has
    hundreds of tag pages; an edit re-renders only the lists that show what it changed."""
    return [(d.url, d.source.meta_digest) for d in documents]


def template_fingerprint(env: jinja2.Environment) -> str:
    """Return a digest of every template and theme file the environment can load."""
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    digest = hashlib.sha256(__version__.encode())
    for folder in loader.searchpath:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(f"{path.relative_to(folder)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, shared by every environment.

    Each tenant's site and each rebuild of `kbgen serve` has an environment of its own, and
    each compiled every template it used again: a fifth of a small site's page writing. Jinja
    keys a template by name and file and recompiles it when its source's checksum changes,
    so a writer's edit is never served stale; one entry per template file bounds the memory.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def environment(root: Path, tenant: str) -> jinja2.Environment:
    """Return the template environment: tenant overrides, then the project's, then kbgen's."""
    package = package_templates()
    folders = [
        root / "content" / tenant / "templates",
        root / "templates" / "site",  # optional, in a writer's project
        package / "site",
        root / "templates" / "shared",  # header and footer, shared with the intake service
        package / "shared",
    ]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_COMPILED,
        # Each build makes its environments anew, so no template changes under one; checking
        # the file's time at every include (four per page) cost a tenth of a small build.
        auto_reload=False,
    )
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = lambda d: f"{d:%-d %B %Y}" if d else ""
    return env


def _feed_updated(site: TenantSite) -> dt.date:
    dates = [a.updated for a in site.articles if a.updated]
    return max(dates) if dates else dt.date(2000, 1, 1)


def theme_assets(env: jinja2.Environment, tenant: TenantConfig) -> Assets:
    """Return the tenant's theme files: the templates' static files, its brand's stylesheet
    and Pygments' (by name under assets/)."""
    files = {rel.removeprefix("assets/"): path.read_bytes() for rel, path in static_files(env)}
    if tenant.brand.css():
        files["brand.css"] = tenant.brand.css().encode()
    files["pygments.css"] = pygments_css().encode()
    return Assets(tenant.base_path, files)


def _where(exc: BaseException) -> str:
    """Return "file:line: " of the template line that raised `exc`, or "" when no template's
    line did (Jinja gives the frames of a template's code its file and line)."""
    found = ""
    for frame, line in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt")) and Path(name).is_file():
            found = f"{_shown(name)}:{line}: "
    return found


def _shown(name: str) -> str:
    """A template's path as a writer finds it: from the working folder when it is inside."""
    path = Path(name)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return name


def render_pages(env: jinja2.Environment, site: TenantSite) -> Iterator[PageJob]:
    """Yield every page of the tenant's site as a job, in a stable order, then its theme
    files, each under its own name and its fingerprinted one, and their manifest."""
    assets = theme_assets(env, site.tenant)
    env.globals["asset"] = assets.url  # {{ asset("style.css") }}: the fingerprinted address
    links = [(c.label, c.url) for c in site.categories]
    links.append(("FAQ", f"{site.tenant.base_path}faq/"))
    common: dict[str, Any] = {
        "site": site,
        "tenant": site.tenant,
        "categories": site.categories,
        "nav_links": links,
    }
    theme = _digest(template_fingerprint(env), assets.names)  # pages link these names
    nav = _digest(site.tenant, [(c.label, c.url) for c in site.categories])

    def page(
        rel: str,
        template: str,
        origin: str = "",
        key: str | None = None,
        later: Callable[[], dict[str, Any]] = dict,
        **context: Any,
    ) -> PageJob:
        def make() -> bytes:
            try:
                values = {**common, **context, **later()}
                return env.get_template(template).render(**values).encode("utf-8")
            except jinja2.TemplateSyntaxError as exc:  # a writer's template: say where
                where = _shown(exc.filename) if exc.filename else exc.name or template
                raise KbgenError(f"{where}:{exc.lineno}: template: {exc.message}") from None
            except jinja2.TemplateError as exc:
                raise KbgenError(f"{_where(exc)}template {template} ({rel}): {exc}") from None
            except KbgenError:
                raise
            except UnicodeDecodeError as exc:  # a writer's template saved in another encoding
                raise KbgenError(
                    f"template {template} ({rel}): a template it uses is not"
                    f" UTF-8 ({exc.reason} at byte {exc.start})"
                ) from None
            except Exception as exc:  # noqa: BLE001 (what a writer's template raises: {{ 1/0 }})
                raise KbgenError(
                    f"{_where(exc)}template {template} ({rel}): {type(exc).__name__}: {exc}"
                ) from None

        return PageJob(rel, make, origin or f"template {template}", key)

    base = site.tenant.base_path
    yield page("index.html", "home.html", page_url=base)
    for cat in site.categories:
        rel = f"categories/{cat.category.path}/index.html"
        key = _digest(theme, nav, cat.category, cat.url, _listed(cat.articles), _listed(cat.faqs))
        yield page(rel, "category.html", key=key, category=cat, page_url=cat.url)
    for article in site.articles:
        prev, nxt = site.neighbours.get(article.slug, (None, None))
        related = site.related.get(article.slug, [])
        shown = [(a.slug, a.meta.title, a.url) for a in (prev, nxt, *related) if a]
        meta = article.source.meta_digest
        key = _digest(theme, nav, article.doc.key, meta, prev is None, nxt is None, shown)
        yield page(
            f"articles/{article.slug}/index.html", "article.html", article.source.display, key,
            article=article, prev=prev, next=nxt, related=related, page_url=article.url,
        )  # fmt: skip

    def faq_answers() -> dict[str, Any]:
        # Read when the page is written, not held in memory while every other page is.
        return {"answers": faq_page_answers(site)}

    # Every FAQ's answer from the render cache: read only when one of them changed.
    listed = [(c.category, c.url, c.anchor, _listed(c.faqs)) for c in site.categories]
    key = _digest(theme, nav, listed, [f.doc.key for f in site.faqs])
    yield page("faq/index.html", "faq.html", "", key, later=faq_answers, page_url=f"{base}faq/")
    for faq in site.faqs:
        rel = f"faq/{faq.slug}/index.html"
        key = _digest(theme, nav, faq.doc.key, faq.source.meta_digest)
        yield page(rel, "faq_entry.html", faq.source.display, key, faq=faq, page_url=faq.page_url)
    for tag in site.tags:
        rel = served_file(tag.url.removeprefix(base))
        key = _digest(theme, nav, tag.name, tag.url, _listed(tag.articles))
        yield page(rel, "tag.html", key=key, tag=tag, page_url=tag.url)
    if site.tags:
        every = site.tags_url
        yield page(served_file(every.removeprefix(base)), "tags.html", page_url=every)
    yield page("search/index.html", "search.html", page_url=f"{base}search/")
    yield page("404.html", "404.html", page_url=f"{base}404.html")
    tenant = _digest(site.tenant)  # once: a large site has thousands of redirects
    for rel, target in sorted(site.redirects.items()):
        key = _digest(theme, tenant, target)
        yield page(rel, "redirect.html", key=key, target=target, page_url=target)
    # The sitemap lists every page and the feed the latest articles: an edit of an article's
    # body changes neither unless it is among the latest.
    tags = [t.url for t in site.tags]
    key = _digest(theme, nav, tags, [f.page_url for f in site.faqs], _listed(site.articles))
    yield page("sitemap.xml", "sitemap.xml", key=key, page_url=f"{base}sitemap.xml")
    yield page("robots.txt", "robots.txt", page_url=f"{base}robots.txt")
    updated = _feed_updated(site)
    key = _digest(theme, nav, updated, [(a.doc.key, _listed([a])) for a in site.recent])
    yield page("feed.xml", "feed.xml", key=key, page_url=f"{base}feed.xml", feed_updated=updated)
    for name, data in assets.files.items():
        for rel in (f"assets/{name}", f"assets/{assets.names[name]}"):
            yield PageJob(rel, functools.partial(bytes, data), f"theme file {name}", _digest(data))
    manifest = assets.manifest()
    yield PageJob(MANIFEST, lambda: manifest, "kbgen/assets.py", _digest(manifest))


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
