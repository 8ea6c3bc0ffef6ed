"""What the search indexes are made of and where they are kept, without a search engine.

The build's main process needs only these; Whoosh is imported by the worker that writes the
index (its imports were a twentieth of building the sample help center).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# Bump when the schema or analysis changes, or EnglishAnalyzer moves (its module path is pickled
# into the index): the next build re-indexes all. 6: words composed (NFC).
INDEX_FORMAT = 6
INDEX_FOLDER = "index"  # a tenant's index: build/<tenant>/index
DOCS_FILE = "kbgen-docs.json"  # key -> fingerprint of every indexed document


class StoredText(Protocol):
    """Text kept on disk until indexed (the render cache's part of an entry), read whole."""

    def read_text(self) -> str: ...


@dataclass(frozen=True)
class SearchDoc:
    """One article or FAQ as the index sees it: plain text, no markup."""

    kind: str  # "article" or "faq"
    slug: str
    title: str
    summary: str
    tags: tuple[str, ...]
    category: str
    url: str
    body: str | StoredText  # the text, or where it is (read only when indexed)
    version: str = ""  # changes whenever the body does, e.g. the render cache key

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.slug}"

    def fingerprint(self) -> str:
        """Return a digest that changes whenever any indexed field would."""
        fields = (self.kind, self.slug, self.title, self.summary, self.tags, self.category)
        body = self.version or str(self.body)
        return hashlib.sha256(repr((fields, self.url, body)).encode()).hexdigest()

    def fields(self) -> dict[str, str]:
        """Return the stored and indexed fields of the document."""
        body = self.body if isinstance(self.body, str) else self.body.read_text()
        return {
            "key": self.key,
            "kind": self.kind,
            "slug": self.slug,
            "url": self.url,
            "category": self.category,
            "title": self.title,
            "summary": self.summary,
            "body": body,
            "title_terms": f"{self.title} {' '.join(self.tags)}",
            "text": f"{self.summary} {body}",
        }


@dataclass(frozen=True)
class SearchResult:
    """One hit, as plain data for the command line and the intake service."""

    kind: str
    slug: str
    title: str
    url: str
    category: str
    summary: str
    snippet: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready mapping (its fields are flat: no deep copy)."""
        return dict(vars(self))


def recorded_docs(folder: Path | None) -> dict[str, str] | None:
    """Return the fingerprints an earlier index recorded, or None if it cannot be reused."""
    if folder is None or not (folder / DOCS_FILE).is_file():
        return None
    try:
        data = json.loads((folder / DOCS_FILE).read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != INDEX_FORMAT:
        return None
    docs: dict[str, str] = data["docs"]
    return docs


def updatable(folder: Path) -> bool:
    """Say whether the index in `folder` can be updated rather than made from scratch."""
    return recorded_docs(folder) is not None
