"""The knowledge base as the service sees it: the manifest mirror, search, feedback, deflection."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.db import TenantScope
from intake.errors import IntakeError, NotFound
from intake.models import (
    ArticleFeedback,
    DeflectionEvent,
    Faq,
    KnowledgeBaseArticle,
    utcnow,
)
from kbgen.config import SiteConfig
from kbgen.schema import KbCategory
from kbgen.search_index import search

log = logging.getLogger(__name__)
SUGGESTIONS = 5
# kbgen keeps one Whoosh searcher per index and process; Whoosh's readers share file handles
# and are not documented as thread-safe, so this process's threads take turns (a search takes
# a few milliseconds).
_search_lock = threading.Lock()


@dataclass(frozen=True)
class SyncReport:
    """What one tenant's sync changed."""

    inserted: int = 0
    updated: int = 0
    unpublished: int = 0

    def __str__(self) -> str:
        return f"{self.inserted} inserted, {self.updated} updated, {self.unpublished} unpublished"


def load_manifest(build_dir: Path, tenant_id: str) -> dict[str, Any]:
    """Read build/<tenant>/manifest.json; raise IntakeError when it is missing or broken."""
    path = build_dir / tenant_id / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IntakeError(f"{path}: not found; run `kbgen build` first") from None
    except (OSError, ValueError) as exc:
        raise IntakeError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict) or data.get("tenant") != tenant_id:
        raise IntakeError(f"{path}: not a manifest of tenant {tenant_id!r}")
    return data


def _article_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": item["title"],
        "category": KbCategory(item["category"]),
        "url": item["url"],
        "summary": item.get("summary") or "",
        "tags": list(item.get("tags") or []),
        "content_hash": item["hash"],
        "published": True,
    }


def _faq_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "question": item["question"],
        "category": KbCategory(item["category"]),
        "url": item["url"],
        "content_hash": item["hash"],
        "published": True,
    }


def _sync_rows(
    scope: TenantScope,
    model: type[KnowledgeBaseArticle] | type[Faq],
    items: list[dict[str, Any]],
    values: Any,
) -> SyncReport:
    existing = {row.slug: row for row in scope.all(model)}
    inserted = updated = unpublished = 0
    for item in items:
        wanted = values(item)
        row = existing.pop(item["slug"], None)
        if row is None:
            scope.add(model(slug=item["slug"], **wanted))
            inserted += 1
        elif any(getattr(row, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
            updated += 1
    for row in existing.values():
        # Never delete: tickets and feedback may point at it. It just leaves the lists.
        if row.published:
            row.published = False
            unpublished += 1
    return SyncReport(inserted, updated, unpublished)


def sync_tenant(session: Session, tenant_id: str, build_dir: Path) -> SyncReport:
    """Mirror one tenant's manifest into knowledge_base_articles and faqs, and commit."""
    manifest = load_manifest(build_dir, tenant_id)
    scope = TenantScope(session, tenant_id)
    try:
        a = _sync_rows(scope, KnowledgeBaseArticle, manifest.get("articles", []), _article_values)
        f = _sync_rows(scope, Faq, manifest.get("faqs", []), _faq_values)
    except (KeyError, ValueError, TypeError) as exc:
        session.rollback()
        raise IntakeError(f"{build_dir / tenant_id / 'manifest.json'}: bad entry: {exc}") from None
    session.commit()
    return SyncReport(a.inserted + f.inserted, a.updated + f.updated, a.unpublished + f.unpublished)


def sync_all(session: Session, site: SiteConfig, build_dir: Path) -> dict[str, SyncReport]:
    """Sync every tenant of site.yaml; a tenant without a build is reported, not fatal."""
    reports: dict[str, SyncReport] = {}
    for tenant in site.tenants:
        try:
            reports[tenant.id] = sync_tenant(session, tenant.id, build_dir)
        except IntakeError as exc:
            log.warning("kb sync skipped %s: %s", tenant.id, exc)
    return reports


def suggest(
    tenant_id: str, query: str, build_dir: Path, category: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """Return up to `limit` matching articles and FAQs as JSON-ready dicts (never raises)."""
    try:
        with _search_lock:
            hits = search(tenant_id, query, category, limit, build_dir=build_dir)
    except FileNotFoundError as exc:
        log.warning("no search index for %s: %s", tenant_id, exc)
        return []
    except Exception:  # noqa: BLE001 (a stale or broken index must not break the ticket form)
        log.exception("search failed for %s; run `kbgen build`", tenant_id)
        return []
    fields = ("kind", "slug", "title", "url", "category", "summary", "snippet")
    return [{key: hit.as_dict()[key] for key in fields} for hit in hits]


def published_articles(scope: TenantScope) -> list[KnowledgeBaseArticle]:
    """Return the tenant's published articles, by category then title."""
    return scope.all(
        KnowledgeBaseArticle,
        KnowledgeBaseArticle.published.is_(True),
        order_by=(KnowledgeBaseArticle.title),
    )


def published_faqs(scope: TenantScope) -> list[Faq]:
    """Return the tenant's published FAQs by question."""
    return scope.all(Faq, Faq.published.is_(True), order_by=Faq.question)


def used_categories(scope: TenantScope) -> list[KbCategory]:
    """Return the categories that have published content, in the site's order."""
    used = set(
        scope.session.scalars(
            select(KnowledgeBaseArticle.category)
            .where(
                KnowledgeBaseArticle.tenant_id == scope.tenant_id,
                KnowledgeBaseArticle.published.is_(True),
            )
            .distinct()
        )
    )
    used |= set(scope.session.scalars(
        select(Faq.category).where(
            Faq.tenant_id == scope.tenant_id, Faq.published.is_(True)
        ).distinct()
    ))  # fmt: skip
    return [c for c in KbCategory if c in used]


def record_feedback(scope: TenantScope, slug: str, helpful: bool, comment: str) -> dict[str, int]:
    """Count one "was this helpful?" answer for a published article; return the totals."""
    article = scope.first(
        KnowledgeBaseArticle,
        KnowledgeBaseArticle.slug == slug,
        KnowledgeBaseArticle.published.is_(True),
    )
    if article is None:
        raise NotFound()
    scope.add(ArticleFeedback(article_id=article.id, helpful=helpful, comment=comment))
    column = KnowledgeBaseArticle.helpful_yes if helpful else KnowledgeBaseArticle.helpful_no
    scope.session.execute(
        update(KnowledgeBaseArticle)
        .where(KnowledgeBaseArticle.id == article.id)
        .values({column: column + 1, "updated_at": utcnow()})
    )
    scope.session.commit()
    scope.session.refresh(article)
    return {"helpful_yes": article.helpful_yes, "helpful_no": article.helpful_no}


def record_open(scope: TenantScope, visit_id: str, kind: str, slug: str) -> bool:
    """Record that a form visit opened a suggestion; False when the item is unknown."""
    model: type[KnowledgeBaseArticle] | type[Faq] = (
        KnowledgeBaseArticle if kind == "article" else Faq
    )
    item = scope.first(model, model.slug == slug)
    if item is None:
        return False
    column = DeflectionEvent.article_id if kind == "article" else DeflectionEvent.faq_id
    if scope.first(DeflectionEvent, DeflectionEvent.visit_id == visit_id, column == item.id):
        return True  # opened twice in one visit counts once
    event = DeflectionEvent(visit_id=visit_id)
    setattr(event, column.key, item.id)
    scope.add(event)
    scope.session.commit()
    return True


def deflections(scope: TenantScope) -> dict[str, int]:
    """Count per article or FAQ ("article:slug") the opened suggestions that led to no ticket."""
    counts: dict[str, int] = {}
    for kind, model, column in (
        ("article", KnowledgeBaseArticle, DeflectionEvent.article_id),
        ("faq", Faq, DeflectionEvent.faq_id),
    ):
        rows = scope.session.execute(
            select(model.slug, func.count(DeflectionEvent.id))
            .join(DeflectionEvent, column == model.id)
            .where(DeflectionEvent.tenant_id == scope.tenant_id)
            .where(DeflectionEvent.ticket_id.is_(None))
            .group_by(model.slug)
        )
        for slug, count in rows:
            counts[f"{kind}:{slug}"] = int(count)
    return counts
