"""`kbgen check` and `kbgen build` as a short list of stages."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kbgen import checks
from kbgen.config import BuildOptions, SiteConfig, TenantConfig, load_site_config
from kbgen.errors import ContentError, Problem, Severity
from kbgen.load import Loaded, Source, load_tenant
from kbgen.manifest import manifest, search_docs
from kbgen.nav import TenantSite, article_url, build_site, faq_url
from kbgen.pages import environment, render_pages, static_files
from kbgen.render import LinkTable, Rendered, render_source
from kbgen.schema import ArticleMeta, Status
from kbgen.search_index import write_index
from kbgen.static_search import index_site
from kbgen.write import OutputTree

log = logging.getLogger(__name__)


@dataclass
class Checked:
    """A tenant that passed every check, ready to write, plus its warnings."""

    tenant: TenantConfig
    site: TenantSite
    loaded: Loaded
    warnings: list[Problem]


def is_live(source: Source, options: BuildOptions) -> bool:
    """Say whether a document is published now (or previewed with --drafts)."""
    if options.drafts:
        return True
    if source.meta.status is Status.draft:
        return False
    meta = source.meta
    return not (isinstance(meta, ArticleMeta) and meta.published and meta.published > options.today)


def link_table(tenant: TenantConfig, loaded: Loaded, live: list[Source]) -> LinkTable:
    """Map every live document's path to its URL, for rewriting writers' .md links."""
    pages = {
        str(s.rel): article_url(tenant, s.slug) if s.kind == "article" else faq_url(tenant, s.slug)
        for s in live
    }
    unpublished = frozenset(str(s.rel) for s in loaded.sources) - set(pages)
    assets = frozenset(str(a) for a in loaded.assets)
    return LinkTable(pages, assets, tenant.base_path, unpublished)


def check_tenant(config: SiteConfig, tenant: TenantConfig, options: BuildOptions) -> Checked:
    """Load, validate and render one tenant; raise ContentError listing all its problems."""
    loaded = load_tenant(options.content_dir, tenant.id, options.root)
    problems = list(loaded.problems)
    sources = list(loaded.sources)
    problems += checks.duplicate_slugs(sources)
    live = [s for s in sources if is_live(s, options)]
    table = link_table(tenant, loaded, live)
    rendered: dict[str, Rendered] = {}
    for source in live:
        rendered[str(source.rel)] = out = render_source(source, table, config.allow_html)
        problems += out.problems
    by_rel = {str(s.rel): s for s in live}
    problems += checks.missing_anchors(rendered, by_rel)
    problems += checks.unknown_related(live, sources)
    problems += checks.redirect_clashes(live, tenant.base_path, table.assets)
    errors = [p for p in problems if p.severity is Severity.ERROR or options.strict]
    if errors:
        raise ContentError(problems)
    site = build_site(tenant, live, rendered)
    return Checked(tenant, site, loaded, problems)


def check(options: BuildOptions) -> list[Checked]:
    """Validate every selected tenant; nothing is written. Raise with all problems found."""
    config = load_site_config(options.root)
    tenants = [config.tenant(t) for t in options.tenants] or list(config.tenants)
    checked: list[Checked] = []
    problems: list[Problem] = []
    for tenant in tenants:
        try:
            checked.append(check_tenant(config, tenant, options))
        except ContentError as exc:
            problems += exc.problems
    if problems:
        raise ContentError(problems)
    return checked


def write_tenant(checked: Checked, options: BuildOptions) -> int:
    """Write a tenant's site, search bundle, index and manifest; swap them in when complete."""
    tenant, site = checked.tenant, checked.site
    env = environment(options.root, tenant.id)
    trees: list[OutputTree] = []
    try:
        data = OutputTree(options.build_dir / tenant.id)
        trees.append(data)
        data.write("manifest.json", manifest(site), "kbgen/manifest.py")
        write_index(data.staging / "index", search_docs(site))
        pages = OutputTree(options.site_dir / tenant.id)
        trees.append(pages)
        for output in render_pages(env, site):
            pages.write(output.rel, output.data, output.origin)
        for rel, path in static_files(env):
            pages.copy(rel, path, str(path))
        for asset in sorted(checked.loaded.assets):
            source = options.content_dir / tenant.id / asset
            pages.copy(str(asset), source, str(source))
        index_site(pages.staging, tenant.language)
        data.commit()
        pages.commit()
    except BaseException:
        for tree in trees:
            tree.abort()
        raise
    return len(pages.written)


def build(options: BuildOptions) -> list[Checked]:
    """Check everything first, then write each tenant's site; the last good site survives."""
    checked = check(options)
    for item in checked:
        count = write_tenant(item, options)
        log.info(
            "%s: wrote %d files to %s", item.tenant.id, count, options.site_dir / item.tenant.id
        )
    return checked
