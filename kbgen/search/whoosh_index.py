"""The Whoosh index of a tenant's articles and FAQs: writing it and querying it.

Whoosh is unmaintained, so everything that touches it stays in this one module.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from whoosh import index as whoosh_index
from whoosh.analysis import STOP_WORDS, Analyzer, Token
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.system import pack_uint

from kbgen.search.documents import (
    DOCS_FILE,
    INDEX_FOLDER,
    INDEX_FORMAT,
    SearchDoc,
    SearchResult,
    recorded_docs,
)
from kbgen.search.spelling import Lexicon

if TYPE_CHECKING:
    from kbgen.search.ranking import Collection, Ids, Live, Weights

# Whoosh sorts postings in memory up to this, then spills pickled runs to disk (slowly).
LIMIT_MB = 256
MAX_QUERY_CHARS = 500  # a customer's question, not an essay: the rest is ignored
MAX_TERMS = 12
FUZZY_WORDS = 3  # words of a query matched to near spellings when the index lacks them
NEAR_WORDS = 8  # near spellings of one word
SNIPPET_CHARS = 200
# Two searched fields, so a query word costs two posting lists, not four: "title" holds the
# title and tags (what an article is about), "text" the summary and body (what it mentions).
FIELD_BOOSTS = {"title": 4.0, "text": 1.0}
SEARCHED = {"title_terms": FIELD_BOOSTS["title"], "text": FIELD_BOOSTS["text"]}


K = TypeVar("K")
V = TypeVar("V")


class EnglishAnalyzer(Analyzer):  # type: ignore[misc]
    """Words, lowercased, stop words dropped, Snowball-stemmed: in one pass.

    The same result as Whoosh's LanguageAnalyzer("en") (Snowball maps "running" to "run",
    where Porter gives "runn"), without a chain of per-token generators: indexing is
    dominated by analysis, and this is about twice as fast. Pickled into the index's TOC,
    so its module path must stay importable.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def words(self, value: str) -> list[str]:
        """Return the indexed terms of `value`, in order: what __call__ yields, as strings."""
        return [term for word in _WORD.findall(_folded(value)) if (term := _term(word))]

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        removestops: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, match in enumerate(_WORD.finditer(_folded(value))):
            text = _term(match.group())
            if not text:
                continue
            token.text, token.boost, token.stopped = text, 1.0, False
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = match.start(), match.end()
            yield token


_WORD = re.compile(r"\w+(?:\.\w+)*")


def _folded(value: str) -> str:
    """Return text as its words are indexed and searched: composed (NFC), so "résumé" typed
    with combining accents is the word typed with composed ones, and lower-cased."""
    return unicodedata.normalize("NFC", value).lower()


_STEM = EnglishStemmer().stem


# Snowball stemming is most of analysis; a site's vocabulary is small, so stems are remembered
# for every index a process writes (bounded: queries bring words nobody wrote).
@lru_cache(maxsize=100_000)
def _term(word: str) -> str:
    """Return the term a lowercased word is indexed as, or "" for words not indexed."""
    return "" if len(word) < 2 or word in STOP_WORDS else _STEM(word)


class WordCounts(Frequency):  # type: ignore[misc]
    """Whoosh's Frequency postings, counted from the analyser's words in one pass.

    Frequency asks the analyser for a Token per word and tallies them in two dictionaries;
    counting plain strings gives the same postings in a fraction of the time, and analysis
    was most of the time spent indexing. Pickled into the index's TOC, like the analyser.
    """

    def word_values(
        self, value: str, analyzer: EnglishAnalyzer, **_options: Any
    ) -> list[tuple[str, int, float, bytes]]:
        boost = self.field_boost
        counts = Counter(analyzer.words(value))
        return [(term, n, n * boost, pack_uint(n)) for term, n in counts.items()]


def _analyzer() -> EnglishAnalyzer:
    return EnglishAnalyzer()


def schema() -> Schema:
    """Return the index schema; stored fields are what results show."""
    text = _analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True),
        slug=STORED(),
        url=STORED(),
        category=ID(stored=True),
        title=STORED(),
        summary=STORED(),
        body=STORED(),
        title_terms=_counted(text, FIELD_BOOSTS["title"]),
        text=_counted(text, FIELD_BOOSTS["text"]),
    )


def _counted(analyzer: EnglishAnalyzer, boost: float) -> TEXT:
    # No positions: queries are bags of words, and positions cost a third of indexing time.
    field = TEXT(analyzer=analyzer, phrase=False, field_boost=boost)
    field.format = WordCounts(field_boost=boost)
    return field


def write_index(folder: Path, docs: list[SearchDoc], previous: Path | None = None) -> int:
    """Make the index in `folder` hold exactly `docs`; return how many were (re)indexed.

    With a `previous` index of the same format, only added, changed and removed documents are
    touched, so a rebuild after one edit costs milliseconds, not a full re-index (a removal
    merges every segment, so that no file keeps the removed text: longer on a large site). A new
    `folder` starts with the previous index's files hard-linked in (Whoosh never changes a
    segment file once written); `folder == previous` updates the index where it is.
    """
    in_place = previous is not None and previous == folder  # kbgen serve updates the live one
    if not in_place:
        folder.mkdir(parents=True)
    wanted = {doc.key: doc.fingerprint() for doc in docs}
    before = recorded_docs(previous)
    if before is not None and previous is not None:
        if not in_place:
            for path in previous.iterdir():
                if path.is_file() and "WRITELOCK" not in path.name:
                    os.link(path, folder / path.name)
        ix = whoosh_index.open_dir(str(folder))
    else:
        before = {}
        ix = whoosh_index.create_in(str(folder), schema())
    # Postings blocks stay uncompressed: zlib was a sixth of indexing, for a sixth of the
    # index's size; each block records its compression, so older segments read as before.
    # One process: the build writes each tenant's index in a worker of its pool (staging),
    # one per core already.
    writer = ix.writer(limitmb=LIMIT_MB, codec=W3Codec(compression=0))
    removed = before.keys() - wanted.keys()
    for key in removed:
        writer.delete_by_term("key", key)
    changed = [doc for doc in docs if before.get(doc.key) != wanted[doc.key]]
    for doc in changed:
        if doc.key in before:
            writer.update_document(**doc.fields())
        else:
            writer.add_document(**doc.fields())
    # A deleted document's text stays in its segment's files until they are merged: that of
    # a draft built with --drafts, or of an article taken down, would stay in build/.
    writer.commit(optimize=bool(removed))
    ix.close()
    (folder / "MAIN_WRITELOCK").unlink(missing_ok=True)
    record = {"format": INDEX_FORMAT, "docs": dict(sorted(wanted.items()))}
    (folder / f"{DOCS_FILE}.tmp").write_text(json.dumps(record, indent=0, sort_keys=True))
    os.replace(folder / f"{DOCS_FILE}.tmp", folder / DOCS_FILE)
    return len(changed)


def _generation(toc: Path) -> int:
    return int(toc.stem.rsplit("_", 1)[1])


Stamp = tuple[str, int, int]  # the newest table of contents of an index: path, mtime, inode


def _stamp(folder: Path) -> Stamp:
    """Name the index generation now in `folder` (a rebuild puts a new one in place)."""
    toc = max(folder.glob("_MAIN_*.toc"), key=_generation, default=None)
    if toc is None:
        raise FileNotFoundError(f"no search index in {folder}; run `kbgen build`")
    stat = toc.stat()
    return (str(toc), stat.st_mtime_ns, stat.st_ino)


class _Searchers:
    """The open searchers of one index generation, each lent to one thread at a time.

    Whoosh does not promise that a searcher may serve several threads at once; opening one
    per search costs a few milliseconds, and one per thread would hold files for every
    thread of a server. Idle ones are kept, up to IDLE_SEARCHERS.
    """

    def __init__(self, folder: Path, stamp: Stamp) -> None:
        if recorded_docs(folder) is None:  # written by another kbgen, with another schema
            raise FileNotFoundError(f"the search index in {folder} is outdated; run `kbgen build`")
        self.folder, self.stamp = folder, stamp
        self.idle: list[Any] = []
        self.lexicon: Lexicon | None = None
        self.collection: Collection | None = None
        self.postings = _PostingsCache()
        self.shown = _ShownCache()
        self.reading = threading.Lock()  # the words and documents are read once, by one thread
        self.frequencies: dict[str, int] = {}  # word -> documents holding it in "text"

    def open(self) -> Any:
        return whoosh_index.open_dir(str(self.folder)).searcher(weighting=BM25F())

    def words(self, reader: Any) -> Lexicon:
        """Return the words of the text fields together (read once per generation, under
        self.reading): a near spelling is then looked for once and matched in both fields."""
        if self.lexicon is None:
            self.lexicon = Lexicon({w for f in TEXT_FIELDS for w in reader.field_terms(f)})
        return self.lexicon

    def frequency(self, reader: Any, word: str) -> int:
        """Return how many documents' text holds `word`, looked up once per generation (the
        index's words bound the memo; a lookup decodes a term record on disk)."""
        found = self.frequencies.get(word)
        if found is None:
            found = self.frequencies[word] = reader.doc_frequency("text", word)
        return found

    def documents(self, reader: Any) -> Collection:
        """Return which documents live and their fields' lengths (read once per generation,
        under self.reading)."""
        if self.collection is None:
            self.collection = _collection(reader)
        return self.collection


def _collection(reader: Any) -> Collection:
    from kbgen.search.ranking import Collection  # numpy: searching only, never a build

    size = reader.doc_count_all()
    live = [False] * size
    for doc in reader.all_doc_ids():
        live[doc] = True
    lengths = {f: [reader.doc_field_length(d, f) for d in range(size)] for f in TEXT_FIELDS}
    return Collection.of(live, lengths)


Block = tuple[int, Sequence[int], Sequence[float]]  # document number base, numbers, weights
BLOCK_READER = ("_read_ids", "_read_weights", "_next_block")


def _blocks(reader: Any, field: str, term: str) -> Iterator[Block]:
    """Yield a word's postings in one field a block at a time: (document number base, the
    block's document numbers, their weights).

    Whoosh's matchers hand out one posting per call; its own posting files decode a block of
    them at once, so those are read whole through the block reader's private parts (Whoosh
    is pinned below 3 and unmaintained: they will not move).
    """
    for leaf, base in reader.leaf_readers():
        if (field, term) not in leaf:
            continue
        matcher = leaf.postings(field, term)
        # A segment with deletions wraps its postings in a filter that skips them one by one:
        # read the blocks underneath, deleted documents included; ranking drops those.
        while isinstance(matcher, FilterMatcher):
            matcher = matcher.child
        whole = all(hasattr(matcher, name) for name in BLOCK_READER)
        while matcher.is_active():
            if whole:
                matcher._read_ids()
                matcher._read_weights()
                yield base, matcher._ids, matcher._weights
                matcher._next_block()
            else:  # another posting format: one at a time
                yield base, (matcher.id(),), (matcher.weight(),)
                matcher.next()


CACHED_POSTINGS = 2_000_000  # per index generation: 32 MB of document numbers and weights


class _Recent(Generic[K, V]):
    """Values used lately, up to a total size: the least recently used go first. Shared by
    the threads searching one index generation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: OrderedDict[K, tuple[V, int]] = OrderedDict()  # key -> (value, size)
        self.held = 0

    def get(self, key: K) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, size: int, bound: int) -> None:
        """Keep `value` (unless another thread kept one meanwhile), then drop the least
        recently used until `bound` holds, always keeping the newest."""
        with self.lock:
            if key not in self.items:
                self.items[key] = (value, size)
                self.held += size
            while self.held > bound and len(self.items) > 1:
                _key, (_value, dropped) = self.items.popitem(last=False)
                self.held -= dropped


class _PostingsCache:
    """The postings of the words searched lately, as arrays, up to CACHED_POSTINGS: a common
    word is decoded once, not on every search that holds it."""

    def __init__(self) -> None:
        self.recent: _Recent[tuple[str, str], tuple[Ids, Weights]] = _Recent()

    def get(
        self, reader: Any, live: Live, field: str, term: str, known: bool = False
    ) -> tuple[Ids, Weights]:
        """Return the postings of `term` in `field` among the `live` documents; an empty
        answer is kept only for a `known` word (one of the index's: they bound the cache)."""
        key = (field, term)
        found = self.recent.get(key)
        if found is not None:
            return found
        from kbgen.search.ranking import postings_array

        # Whoosh stores a word's count times its field's boost; ranking applies the boost.
        found = postings_array(_blocks(reader, field, term), SEARCHED.get(field, 1.0), live)
        if len(found[0]) or known:
            self.recent.put(key, found, len(found[0]), CACHED_POSTINGS)
        return found


CACHED_SHOWN_CHARS = 4_000_000  # per index generation: the texts of the documents shown lately


class _ShownCache:
    """The stored fields of the documents results showed lately, up to CACHED_SHOWN_CHARS of
    their texts: Whoosh decompresses a document's fields on every read, a third of the time
    of a search answered with ten results, and the same few pages answer most searches."""

    def __init__(self) -> None:
        self.recent: _Recent[int, Mapping[str, Any]] = _Recent()

    def get(self, searcher: Any, doc: int) -> Mapping[str, Any]:
        """Return document `doc`'s stored fields, read-only: every thread shares them."""
        found = self.recent.get(doc)
        if found is None:
            found = MappingProxyType(searcher.stored_fields(doc))
            self.recent.put(doc, found, len(found.get("body", "")), CACHED_SHOWN_CHARS)
        return found


IDLE_SEARCHERS = 8
TEXT_FIELDS = tuple(SEARCHED)
_pools_lock = threading.Lock()
_pools: dict[Path, _Searchers] = {}
OPEN_ATTEMPTS = 5


@contextmanager
def _borrowed(folder: Path) -> Iterator[tuple[Any, _Searchers]]:
    """Lend a searcher of the index now in `folder` to this thread, with its generation's
    pool (the words, the documents, the cached postings and the fields of documents shown
    lately: what every searcher of it shares)."""
    pool, searcher = _open(folder)
    try:
        with pool.reading:
            pool.words(searcher.reader())
            pool.documents(searcher.reader())
        yield searcher, pool
    finally:
        with _pools_lock:
            keep = _pools.get(folder) is pool and len(pool.idle) < IDLE_SEARCHERS
            if keep:
                pool.idle.append(searcher)
        if not keep:
            searcher.close()


def _open(folder: Path) -> tuple[_Searchers, Any]:
    """Return the pool of the index generation now in `folder` and a searcher of that very
    generation: a rebuild that commits while a searcher opens would pair it with the pool of
    the generation before (deleted documents found, a new word's postings out of range)."""
    for _attempt in range(OPEN_ATTEMPTS):
        stamp = _stamp(folder)
        with _pools_lock:
            pool = _pools.get(folder)
            if pool is None or pool.stamp != stamp:
                for old in pool.idle if pool else []:
                    old.close()
                pool = _pools[folder] = _Searchers(folder, stamp)
            if pool.idle:
                return pool, pool.idle.pop()
        searcher = pool.open()
        if _stamp(folder) == stamp:
            return pool, searcher
        searcher.close()
    raise FileNotFoundError(f"the search index in {folder} kept changing; search again")


def _terms(text: str) -> list[str]:
    """Analyze untrusted query text into unique index terms; syntax characters are just text."""
    seen: dict[str, None] = {}
    for token in _analyzer()(text[:MAX_QUERY_CHARS]):
        seen.setdefault(token.text, None)
    return list(seen)[:MAX_TERMS]


def _variants(reader: Any, pool: _Searchers, lexicon: Lexicon, term: str) -> list[str]:
    """Return the index's words nearest to a word it lacks ("pasword" -> "password"): at most
    eight, nearest first, then the most frequent; the word itself when none is near."""
    near = lexicon.near(term, 4 * NEAR_WORDS)  # more than kept: ties go to the frequent
    ranked = sorted(near, key=lambda pair: (pair[1], -pool.frequency(reader, pair[0]), pair[0]))
    return [word for word, _edits in ranked[:NEAR_WORDS]] or [term]


def search_folder(
    folder: Path, query: str, category: str | None = None, limit: int = 10
) -> list[SearchResult]:
    """Search one index folder; any query text returns a list, never an exception."""
    terms = _terms(query)
    if not terms or limit <= 0:
        return []
    with _borrowed(folder) as (searcher, pool):
        return _search(searcher, pool, terms, category, min(limit, 100))


def _search(
    searcher: Any, pool: _Searchers, terms: list[str], category: str | None, limit: int
) -> list[SearchResult]:
    from kbgen.search.ranking import NO_POSTINGS, allowed_by, rank  # numpy: search, not build

    reader = searcher.reader()
    lexicon, collection = pool.words(reader), pool.documents(reader)
    # Only the first few words the index lacks are matched to near spellings: a query of many
    # made-up words costs no more than one of FUZZY_WORDS.
    expandable = [t for t in terms if len(t) >= 4 and t not in lexicon][:FUZZY_WORDS]
    words = [_variants(reader, pool, lexicon, t) if t in expandable else [t] for t in terms]
    live = collection.live
    allowed = None
    if category:
        allowed = allowed_by(collection, pool.postings.get(reader, live, "category", category)[0])

    def postings(field: str, term: str) -> tuple[Ids, Weights]:
        if term not in lexicon:  # in no searched field: nothing to look up
            return NO_POSTINGS
        return pool.postings.get(reader, live, field, term, known=True)

    ranked = rank(collection, postings, words, SEARCHED, allowed, limit)
    return [_result(pool.shown.get(searcher, doc), score, terms) for doc, score in ranked]


def _result(fields: Mapping[str, Any], score: float, terms: list[str]) -> SearchResult:
    return SearchResult(
        kind=fields["kind"],
        slug=fields["slug"],
        title=fields["title"],
        url=fields["url"],
        category=fields["category"],
        summary=fields.get("summary", ""),
        snippet=snippet(fields.get("body", ""), terms),
        score=round(score, 4),
    )


def indexed_documents(folder: Path) -> list[dict[str, Any]]:
    """Return the stored fields of every live document in an index, sorted by key."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as searcher:
        docs = [dict(fields) for fields in searcher.documents()]
    ix.close()
    return sorted(docs, key=lambda d: str(d["key"]))


def snippet(body: str, terms: list[str]) -> str:
    """Return about SNIPPET_CHARS of `body` around the first word that starts with a term."""
    if not body:
        return ""
    start = max(0, first_word_start(body, terms) - SNIPPET_CHARS // 4)
    if start:
        start = body.find(" ", start) + 1 or start
    text = body[start : start + SNIPPET_CHARS]
    if start + SNIPPET_CHARS < len(body):
        text = text.rsplit(" ", 1)[0] + " …"
    return ("… " if start else "") + text


def first_word_start(body: str, terms: list[str]) -> int:
    """Return where the first word of `body` that starts with a term begins (any case), or 0.

    What `\\b(term|...)` with IGNORECASE finds, by str.find on the lower-cased body: that
    regex tests a word boundary at every character, a fifth of a search request's CPU."""
    lowered = body.lower()
    if len(lowered) != len(body):  # a letter whose lower case is longer would shift offsets
        pattern = r"\b(" + "|".join(re.escape(t) for t in terms) + ")"
        match = re.search(pattern, body, flags=re.IGNORECASE) if terms else None
        return match.start() if match else 0
    first = len(body)
    for term in terms:
        at = lowered.find(term)
        while 0 < at < first and (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
            at = lowered.find(term, at + 1)  # inside a word: look further
        if -1 < at < first:
            first = at
    return first if first < len(body) else 0


def search(
    tenant: str,
    query: str,
    category: str | None = None,
    limit: int = 10,
    build_dir: Path = Path("build"),
) -> list[SearchResult]:
    """Search a tenant's built index (build/<tenant>/index) for what a customer typed."""
    return search_folder(build_dir / tenant / INDEX_FOLDER, query, category, limit)
