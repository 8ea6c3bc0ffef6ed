"""The knowledge-base mirror: build/<tenant>/manifest.json -> knowledge_base_articles, faqs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from intake.db import Database, TenantSession
from intake.errors import IntakeError
from intake.models import Faq, KbCategory, KnowledgeBaseArticle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    """What one tenant's sync changed."""

    inserted: int = 0
    updated: int = 0
    unpublished: int = 0

    def __add__(self, other: SyncReport) -> SyncReport:
        return SyncReport(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unpublished + other.unpublished,
        )

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
    session: TenantSession,
    model: type[KnowledgeBaseArticle] | type[Faq],
    items: list[dict[str, Any]],
    values: Any,
) -> SyncReport:
    rows: list[KnowledgeBaseArticle | Faq] = list(session.scalars(select(model)))
    existing = {row.slug: row for row in rows}
    inserted = updated = unpublished = 0
    for item in items:
        wanted = values(item)
        row = existing.pop(item["slug"], None)
        if row is None:
            session.add(model(slug=item["slug"], **wanted))
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


def sync_tenant(database: Database, tenant_id: str, build_dir: Path) -> SyncReport:
    """Mirror one tenant's manifest into knowledge_base_articles and faqs, in one transaction."""
    manifest = load_manifest(build_dir, tenant_id)
    try:
        with database.write(tenant_id) as session:
            articles = manifest.get("articles", [])
            report = _sync_rows(session, KnowledgeBaseArticle, articles, _article_values)
            return report + _sync_rows(session, Faq, manifest.get("faqs", []), _faq_values)
    except (KeyError, ValueError, TypeError) as exc:
        raise IntakeError(f"{build_dir / tenant_id / 'manifest.json'}: bad entry: {exc}") from None


def sync_all(database: Database, tenants: list[str], build_dir: Path) -> dict[str, SyncReport]:
    """Sync every tenant; a tenant without a build is reported, not fatal."""
    reports: dict[str, SyncReport] = {}
    for tenant_id in tenants:
        try:
            reports[tenant_id] = sync_tenant(database, tenant_id, build_dir)
        except IntakeError as exc:
            log.warning("kb sync skipped %s: %s", tenant_id, exc)
    return reports


def sync_on_start(database: Database, tenants: list[str], build_dir: Path) -> None:
    """Mirror the manifests as a process starts; a database without tables only warns."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    try:
        sync_all(database, tenants, build_dir)
    except (OperationalError, ProgrammingError) as exc:
        log.warning("knowledge base not synced (run `intake db upgrade`): %s", exc.orig)
    except IntegrityError:
        log.info("knowledge base synced by another process at the same moment")
