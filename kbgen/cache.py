"""The render cache: each document's HTML and text on disk, keyed by everything that shapes it.

Holding rendered pages on disk instead of in memory keeps peak memory flat as a site grows, and
lets a rebuild skip every document whose source and link targets did not change. Each
rendering is one file (its facts, then its HTML and text): a cold build of a small site spends
much of its time creating files, and three per document were a third of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kbgen import __version__
from kbgen.errors import KbgenError, Problem
from kbgen.load import Source
from kbgen.render import AnchorRef, Heading, LinkTable, Rendered

EXCERPT_CHARS = 300
# Bump when rendering changes in a way the key cannot see (a new plugin, a changed rule).
RENDER_FORMAT = "16"
ENTRY = ".entry"  # a rendering's file: a header of three lengths, then facts, HTML, text
HEADER = struct.Struct("<III")  # bytes of the facts, of the HTML, of the text
FACTS, HTML, TEXT = range(3)


def _parts(handle: BinaryIO, path: Path) -> tuple[int, int, int]:
    """Read an entry's header; raise ValueError unless the file holds exactly what it says."""
    lengths = HEADER.unpack(handle.read(HEADER.size))
    if os.fstat(handle.fileno()).st_size != HEADER.size + sum(lengths):
        raise ValueError(f"{path} does not hold what its header says")
    return lengths


@dataclass(frozen=True)
class Slice:
    """The HTML or text of a cache entry, read only when asked for (picklable, so a worker
    indexing a document reads its text itself). Each read finds the part from the header of
    the file it opened: an entry replaced meanwhile is read whole, never at old offsets."""

    path: Path
    part: int  # HTML or TEXT

    def read_text(self) -> str:
        with open(self.path, "rb") as handle:
            try:
                lengths = _parts(handle, self.path)
            except (ValueError, struct.error) as exc:
                raise KbgenError(
                    f"{self.path}: this render cache entry is damaged; delete build/.cache "
                    "and build again"
                ) from exc
            handle.seek(HEADER.size + sum(lengths[: self.part]))
            return handle.read(lengths[self.part]).decode("utf-8")


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
    words: str = ""  # distinct words separated by spaces (vocabulary.spelled_words)
    path: Path | None = None  # the entry's file, set once written or read (not in its facts)
    inline_html: str | None = None
    inline_text: str | None = None

    @property
    def html(self) -> str:
        if self.inline_html is not None or self.path is None:
            return self.inline_html or ""
        return Slice(self.path, HTML).read_text()

    @property
    def text(self) -> str:
        found = self.text_source
        return found if isinstance(found, str) else found.read_text()

    @property
    def text_source(self) -> str | Slice:
        """Return the text, or where it is on disk when it was not read."""
        if self.inline_text is not None or self.path is None:
            return self.inline_text or ""
        return Slice(self.path, TEXT)


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
            stored = _read_facts(base.with_suffix(ENTRY))
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
        stored = Stored(**facts)  # type: ignore[arg-type]
        parts = (pickle.dumps(stored), rendered.html.encode(), rendered.text.encode())
        base.parent.mkdir(parents=True, exist_ok=True)
        path = base.with_suffix(ENTRY)
        # One write, renamed into place: a reader finds the whole entry or none.
        atomic_write(path, HEADER.pack(*map(len, parts)) + b"".join(parts))
        stored = dataclasses.replace(stored, path=path)
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
            stored |= _listed_entries(self.folder)
        for key in stored - keep:
            _entry(self.folder, key).with_suffix(ENTRY).unlink(missing_ok=True)
        self._stored = stored & keep


def _entry(folder: Path, key: str) -> Path:
    """Return where a rendering's file is, less its suffix: <folder>/<key[:2]>/<key>."""
    return folder / key[:2] / key


def _read_facts(path: Path) -> Stored | None:
    """Return an entry's facts (its HTML and text stay on disk), or None if it is missing,
    cut short or unreadable: a cache miss renders the document again."""
    try:
        with open(path, "rb") as handle:
            stored = pickle.loads(handle.read(_parts(handle, path)[FACTS]))
        if isinstance(stored, Stored):
            return dataclasses.replace(stored, path=path)
    except Exception:  # noqa: BLE001 (a missing file, or damaged bytes unpickled: a miss)
        return None
    return None


def _listed_entries(folder: Path) -> set[str]:
    """Return the keys of the entries on disk, deleting on the way what is not one: the
    temporary files a killed build left (not those a running one is writing) and the files
    of an earlier version of the cache (its .meta, .html and .txt files)."""
    keys = set()
    stale = time.time() - STALE_SECONDS
    for path in folder.glob("*/*"):
        with contextlib.suppress(OSError):  # gone already: another process pruned it
            if path.suffix == ENTRY:
                keys.add(path.stem)
            elif not path.name.startswith(TEMPORARY) or path.stat().st_mtime < stale:
                path.unlink()
    return keys
