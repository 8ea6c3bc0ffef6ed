"""Search: the Whoosh index the service queries and the Pagefind bundle the static site uses.

Each engine stays behind its own module (`whoosh_index`, `pagefind`); import from here.
Whoosh's names are imported on first use: the build's main process never needs them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbgen.search.documents import (
    INDEX_FOLDER,
    INDEX_FORMAT,
    SearchDoc,
    SearchResult,
    updatable,
)
from kbgen.search.pagefind import BUNDLE, SiteIndexing, read_by_pagefind

if TYPE_CHECKING:
    from kbgen.search.whoosh_index import (
        indexed_documents,
        search,
        search_folder,
        snippet,
    )

_WHOOSH = frozenset({"indexed_documents", "search", "search_folder", "snippet"})


def write_index(folder: Path, docs: list[SearchDoc], previous: Path | None = None) -> int:
    """Write the Whoosh index (kbgen.search.whoosh_index.write_index), importing Whoosh in the
    process that writes it: the build hands this function to its pool's workers."""
    from kbgen.search import whoosh_index

    return whoosh_index.write_index(folder, docs, previous)


def __getattr__(name: str) -> Any:
    if name in _WHOOSH:
        return getattr(importlib.import_module("kbgen.search.whoosh_index"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUNDLE",
    "INDEX_FOLDER",
    "INDEX_FORMAT",
    "SearchDoc",
    "SearchResult",
    "SiteIndexing",
    "indexed_documents",
    "read_by_pagefind",
    "search",
    "search_folder",
    "snippet",
    "updatable",
    "write_index",
]
