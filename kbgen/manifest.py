"""The per-tenant manifest and search documents that the intake service reads."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kbgen.nav import Article, Faq, TenantSite
from kbgen.search import SearchDoc


def content_hash(item: Article | Faq) -> str:
    """Return a SHA-256 of what the reader sees: front-matter values and the rendering's key
    (itself a digest of the Markdown body)."""
    return hashlib.sha256(f"{item.source.meta_digest}|{item.doc.key}".encode()).hexdigest()


def manifest(site: TenantSite) -> bytes:
    """Return manifest.json: every published article and FAQ, sorted, with stable bytes."""
    articles: list[dict[str, Any]] = [
        {
            "slug": a.slug,
            "title": a.meta.title,
            "category": a.meta.category.value,
            "url": a.url,
            "summary": a.meta.summary,
            "tags": list(a.meta.tags),
            "updated": a.updated.isoformat() if a.updated else None,
            "hash": content_hash(a),
        }
        for a in sorted(site.articles, key=lambda a: a.slug)
    ]
    faqs: list[dict[str, Any]] = [
        {
            "slug": f.slug,
            "question": f.meta.question,
            "category": f.meta.category.value,
            "url": f.url,
            "hash": content_hash(f),
        }
        for f in sorted(site.faqs, key=lambda f: f.slug)
    ]
    text = f'{{"articles": {_one_per_line(articles)},\n"faqs": {_one_per_line(faqs)},\n'
    return f'{text}"tenant": {json.dumps(site.tenant.id)}}}\n'.encode()


def _one_per_line(items: list[dict[str, Any]]) -> str:
    """Return a JSON array with an item per line: readable and diffable, and written by the
    JSON module's C encoder (indented output is written in Python, ten times slower)."""
    lines = ",\n".join(json.dumps(item, sort_keys=True, ensure_ascii=False) for item in items)
    return f"[\n{lines}\n]" if items else "[]"


def search_docs(site: TenantSite) -> list[SearchDoc]:
    """Return the search documents of every published article and FAQ (bodies stay on disk)."""
    docs = []
    for a in site.articles:
        body = a.doc.text_source
        docs.append(
            SearchDoc("article", a.slug, a.meta.title, a.meta.summary, a.meta.tags,
                      a.meta.category.value, a.url, body, a.doc.key)
        )  # fmt: skip
    for f in site.faqs:
        body = f.doc.text_source
        docs.append(
            SearchDoc("faq", f.slug, f.meta.question, "", (), f.meta.category.value, f.url,
                      body, f.doc.key)
        )  # fmt: skip
    return docs
