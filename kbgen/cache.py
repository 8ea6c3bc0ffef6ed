"""The render cache: each document's HTML and text on disk, keyed by everything that shapes it.

Holding rendered pages on disk instead of in memory keeps peak memory flat as a site grows, and
lets a rebuild skip every document whose source and link targets did not change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kbgen import __version__
from kbgen.errors import Problem
from kbgen.load import Source
from kbgen.render import AnchorRef, Heading, LinkTable, Rendered

EXCERPT_CHARS = 300
# Bump when rendering changes in a way the key cannot see (a new plugin, a changed rule).
RENDER_FORMAT = "7"


@dataclass(frozen=True)
class Stored:
    """A rendered document: small facts in memory, HTML and text on disk (or in memory)."""

    key: str
    headings: tuple[Heading, ...]
    anchor_refs: tuple[AnchorRef, ...]
    assets: frozenset[str]
    problems: tuple[Problem, ...]
    deps: tuple[tuple[str, str], ...]
    excerpt: str
    has_code: bool = False
    words: frozenset[str] = frozenset()
    path: Path | None = None  # folder/key; .html and .txt beside it
    inline_html: str | None = None
    inline_text: str | None = None

    @property
    def html(self) -> str:
        if self.inline_html is not None or self.path is None:
            return self.inline_html or ""
        return self.path.with_suffix(".html").read_text(encoding="utf-8")

    @property
    def text(self) -> str:
        if self.inline_text is not None or self.path is None:
            return self.inline_text or ""
        return self.path.with_suffix(".txt").read_text(encoding="utf-8")


def render_key(source: Source, allow_html: bool) -> str:
    """Return a digest of everything in a document that its rendering depends on."""
    digest = hashlib.sha256(f"{RENDER_FORMAT}|{__version__}|{allow_html}|".encode())
    digest.update(f"{source.rel}|{source.display}|{source.body_line}|{source.body_digest}".encode())
    return digest.hexdigest()


TEMPORARY = ".tmp-"  # a file being written; a killed build leaves it behind
STALE_SECONDS = 600  # older temporary files are a killed build's, not a running one's


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: beside it first, then renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


class RenderStore:
    """Cached renderings under a folder; a read-only store (`kbgen check`) keeps new ones inline."""

    def __init__(self, folder: Path | None, writable: bool) -> None:
        self.folder = folder
        self.writable = writable and folder is not None
        self.memory: dict[str, Stored] = {}  # what this process already read or rendered
        self._table: LinkTable | None = None  # the link table `_checked` holds keys for
        self._checked: set[str] = set()  # keys whose links resolve as they did, in _table
        self._stored: set[str] | None = None  # keys on disk, once prune() listed them

    def _base(self, key: str) -> Path | None:
        return _entry(self.folder, key) if self.folder else None

    def _checked_in(self, table: LinkTable) -> set[str]:
        """Return the keys already found valid in a table equal to `table`: in kbgen serve most
        rebuilds change no link target, and checking each document's links again was a tenth
        of a rebuild of a large site."""
        if table is not self._table:
            if table != self._table:
                self._checked = set()
            self._table = table
        return self._checked

    def get(self, key: str, table: LinkTable) -> Stored | None:
        """Return the cached rendering if every link target still resolves as it did."""
        checked = self._checked_in(table)
        stored = self.memory.get(key)
        if stored is not None and key in checked:
            return stored
        base = self._base(key) if stored is None else None
        if base is not None:
            try:
                stored = pickle.loads(base.with_suffix(".meta").read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
                return None
        if stored is None or any(table.lookup(t) != found for t, found in stored.deps):
            return None
        self.memory[key] = stored
        checked.add(key)
        return stored

    def remember(self, stored: Stored, table: LinkTable) -> None:
        """Hold a rendering just made against `table` (by a worker too) as valid in it."""
        self.memory[stored.key] = stored
        self._checked_in(table).add(stored.key)

    def put(self, key: str, rendered: Rendered) -> Stored:
        """Keep a fresh rendering: on disk when writable, otherwise in memory."""
        facts = {
            "key": key,
            "headings": tuple(rendered.headings),
            "anchor_refs": tuple(rendered.anchor_refs),
            "assets": frozenset(rendered.assets),
            "problems": tuple(rendered.problems),
            "deps": tuple(sorted(rendered.deps.items())),
            "excerpt": rendered.text[:EXCERPT_CHARS],
            "has_code": rendered.has_code,
            "words": rendered.words,
        }
        base = self._base(key)
        if not self.writable or base is None:
            inline = Stored(**facts, inline_html=rendered.html, inline_text=rendered.text)  # type: ignore[arg-type]
            return inline
        base.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(base.with_suffix(".html"), rendered.html.encode())
        atomic_write(base.with_suffix(".txt"), rendered.text.encode())
        stored = Stored(**facts, path=base)  # type: ignore[arg-type]
        # The .meta file goes last: its presence says the entry is complete.
        atomic_write(base.with_suffix(".meta"), pickle.dumps(stored))
        self.memory[key] = stored
        return stored

    def prune(self, keep: set[str]) -> None:
        """Delete cached renderings that no current document uses.

        The folder is listed on the first call only: after it, every entry this process can
        have left on disk is one it rendered or read (kbgen serve prunes after each rebuild,
        and listing thousands of entries each time cost a tenth of a rebuild).
        """
        stored = self.memory.keys() | (self._stored or set())
        self.memory = {k: v for k, v in self.memory.items() if k in keep}
        self._checked &= keep
        if not self.writable or self.folder is None or not self.folder.is_dir():
            return
        if self._stored is None:
            stored |= {meta.stem for meta in self.folder.glob("*/*.meta")}
            _remove_stale_temporaries(self.folder)
        for key in stored - keep:
            base = _entry(self.folder, key)
            for suffix in (".meta", ".html", ".txt"):
                base.with_suffix(suffix).unlink(missing_ok=True)
        self._stored = stored & keep


def _entry(folder: Path, key: str) -> Path:
    """Return where a rendering's files are, less their suffixes: <folder>/<key[:2]>/<key>."""
    return folder / key[:2] / key


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files a killed build left, not those a running one is writing."""
    stale = time.time() - STALE_SECONDS
    for temporary in folder.glob(f"*/{TEMPORARY}*"):
        with contextlib.suppress(OSError):  # gone already: another process pruned it
            if temporary.stat().st_mtime < stale:
                temporary.unlink()
