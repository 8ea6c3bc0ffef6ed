"""Searching the knowledge base from the service: kbgen's Whoosh index, as plain data."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kbgen.search import INDEX_FOLDER, search

log = logging.getLogger(__name__)
RESULT_FIELDS = ("kind", "slug", "title", "url", "category", "summary", "snippet")
QUERY_MAX = 500  # characters of a query searched; the rest is cut, never an error


def suggest(
    tenant_id: str, query: str, build_dir: Path, category: str | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """Return up to `limit` matching articles and FAQs as JSON-ready dicts (never raises)."""
    try:
        # Each thread has a searcher of its own (kbgen.search): searches run side by side.
        hits = search(tenant_id, query, category, limit, build_dir=build_dir)
    except FileNotFoundError as exc:
        log.warning("no search index for %s: %s", tenant_id, exc)
        return []
    except Exception:  # noqa: BLE001 (a stale or broken index must not break the ticket form)
        log.exception("search failed for %s; run `kbgen build`", tenant_id)
        return []
    return [{key: getattr(hit, key) for key in RESULT_FIELDS} for hit in hits]


def searchable(tenant_id: str, build_dir: Path) -> bool:
    """Say whether the tenant has a built index (a Whoosh table of contents in its folder):
    without one every search finds nothing, and /readyz says the service is not ready."""
    return any((build_dir / tenant_id / INDEX_FOLDER).glob("_MAIN_*.toc"))
