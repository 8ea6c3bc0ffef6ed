"""Ranking a query's words over an index's postings: BM25 per field, on whole arrays.

Whoosh scores document by document through a tree of Python matchers, about a microsecond per
posting and word: at 10,000 documents a sentence of common words ("how do I get a refund for
my invoice") cost tens of milliseconds, and dropping such words to save that time lost the
answer. Here each word's postings are scored as arrays (numpy), so every word of a query counts
and the cost is a few vector operations per word. Nothing here knows Whoosh: the postings come
from `kbgen.search.whoosh_index`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# BM25's constants: K1, how soon repeating a word stops adding; B, how much a long document's
# words are discounted. Both chosen on the judged queries and sentences (tests/kbgen), on the
# sample alone and among thousands of articles made of its words: a page that repeats common
# words at length must not outrank the short page whose title names the subject.
K1 = 2.0
B = 0.3

Ids = NDArray[np.int64]
Weights = NDArray[np.float64]
Live = NDArray[np.bool_]  # by document number: False for a deleted document
NO_POSTINGS: tuple[Ids, Weights] = (np.zeros(0, dtype=np.int64), np.zeros(0))
# (field, word) -> the documents that hold the word in the field and how often.
PostingsOf = Callable[[str, str], tuple[Ids, Weights]]


@dataclass(frozen=True)
class Collection:
    """What ranking needs of one index generation besides its postings."""

    live: Live
    documents: int  # live ones
    norms: Mapping[str, Weights]  # by field, BM25's length discount of each document

    @property
    def size(self) -> int:
        return len(self.live)

    @classmethod
    def of(cls, live: Sequence[bool], lengths: Mapping[str, Sequence[float]]) -> Collection:
        """Make one from plain lists by document number: which live, their fields' lengths."""
        alive = np.array(live, dtype=np.bool_)
        norms = {}
        for field, values in lengths.items():
            words = np.array(values, dtype=np.float64)
            average = float(words[alive].mean()) if alive.any() else 0.0
            norms[field] = K1 * (1 - B + B * words / (average or 1.0))
        return cls(alive, max(int(alive.sum()), 1), norms)


def postings_array(
    blocks: Iterable[tuple[int, Sequence[int], Sequence[float]]], boost: float, live: Live
) -> tuple[Ids, Weights]:
    """Join a word's postings, block by block (document number base, numbers, weights), into
    arrays of the `live` documents' numbers and counts (weights divided by the field's
    `boost`)."""
    ids, weights = [], []
    for base, numbers, values in blocks:
        ids.append(np.asarray(numbers, dtype=np.int64) + base)
        weights.append(np.asarray(values, dtype=np.float64))
    if not ids:
        return NO_POSTINGS
    joined = np.concatenate(ids)
    kept = live[joined]
    return joined[kept], np.concatenate(weights)[kept] / boost


def allowed_by(collection: Collection, ids: Ids) -> NDArray[np.bool_]:
    """Return a mask of the documents among `ids` (those of a category, say)."""
    mask = np.zeros(collection.size, dtype=np.bool_)
    mask[ids] = True
    return mask


def rank(
    collection: Collection,
    postings: PostingsOf,
    words: Sequence[Sequence[str]],
    boosts: Mapping[str, float],
    allowed: NDArray[np.bool_] | None,
    limit: int,
) -> list[tuple[int, float]]:
    """Return up to `limit` (document number, score) pairs, best first, for a query of `words`
    (each a list of spellings of one typed word: the word, or its near spellings).

    A document's score is the sum over the words of the best spelling's BM25 score in each
    field, times the field's boost, times the share of the words it holds: a page that holds
    every word outranks one that repeats a single word. `allowed` narrows the documents (a
    category filter).
    """
    size = collection.size
    total = np.zeros(size)
    held = np.zeros(size)
    for spellings in words:
        best = np.zeros(size)
        for spelling in spellings:
            score = best if len(spellings) == 1 else np.zeros(size)
            for field, boost in boosts.items():
                ids, counts = postings(field, spelling)
                if len(ids):
                    score[ids] += boost * _bm25(collection, field, ids, counts)
            if score is not best:
                np.maximum(best, score, out=best)
        total += best
        held += best > 0
    total *= held / max(len(words), 1)
    keep = collection.live & (total > 0)
    if allowed is not None:
        keep &= allowed
    found = np.flatnonzero(keep)
    if len(found) > limit:  # those scoring at least the limit-th best, ties at the cut kept
        cut = -np.partition(-total[found], limit - 1)[limit - 1]
        found = found[total[found] >= cut]
    # Best first; among equal scores the earlier document, so a shorter list is a prefix of a
    # longer one.
    ranked = found[np.lexsort((found, -total[found]))[:limit]]
    return [(int(doc), float(total[doc])) for doc in ranked]


def _bm25(collection: Collection, field: str, ids: Ids, counts: Weights) -> Weights:
    """Return the BM25 score of one word in one field for each document that holds it."""
    # Rarer words weigh more; a word in every document still weighs one, not nothing (BM25's
    # own idf makes such words worthless: judged queries of common words lost their answers).
    documents = collection.documents
    idf = 1 + np.log(documents / (min(len(ids), documents) + 1))
    scores: Weights = idf * counts * (K1 + 1) / (counts + collection.norms[field][ids])
    return scores
