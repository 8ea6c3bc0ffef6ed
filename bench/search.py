"""Search benchmark: a Whoosh index over generated articles, and query latency.

python -m bench.search [--articles 10000] [--queries 1000]

Prints: rendering seconds for the same articles (the reference: the index must cost no more
than rendering), indexing seconds (each tenant's index in a worker of the build's pool, as the
build writes them), query latency p50/p95 over 1-4 word queries and over customer
sentences of common words, and the share of the judged queries and sentences whose right answer
is in the top 3: on the sample content alone, and with the sample indexed beside 2,000 generated
articles made of its own words (so the words the questions lean on are common).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from bench.corpus import VOCABULARY, crowd, generate, sentence
from bench.measure import percentile
from kbgen.build import build, check
from kbgen.config import BuildOptions
from kbgen.manifest import search_docs
from kbgen.search import INDEX_FOLDER, search, search_folder, write_index
from kbgen.workers import process_pool

REPO = Path(__file__).resolve().parent.parent
JUDGED = REPO / "tests" / "kbgen" / "judged_queries.yaml"
SENTENCES = REPO / "tests" / "kbgen" / "judged_sentences.yaml"


CROWD = 2000  # generated articles beside each sample tenant's own, as the quality test has


def judged_shares(tmp: Path) -> list[tuple[str, int, int]]:
    """Build the sample content, then index each tenant's documents again beside CROWD
    articles made of its own words; return (judged set and index, right answers in the top 3,
    queries) for both judged sets on both indexes."""
    root = tmp / "sample"
    shutil.copytree(REPO / "content", root / "content")
    options = BuildOptions(root=root, quiet=True, today=dt.date(2026, 11, 25))
    build(options)
    rng = random.Random(3)
    for checked in check(options):
        docs = search_docs(checked.site)
        write_index(tmp / "crowded" / checked.tenant.id / INDEX_FOLDER,
                    docs + crowd(docs, CROWD, rng))  # fmt: skip
    shares = []
    for name, judged_file in (("queries", JUDGED), ("sentences", SENTENCES)):
        judged = yaml.safe_load(judged_file.read_text())
        crowded = f"sample + {CROWD:,} of its words"
        for where, build_dir in (("sample", root / "build"), (crowded, tmp / "crowded")):
            hits = sum(
                slug in [r.slug for r in search(tenant, query, limit=3, build_dir=build_dir)]
                for tenant, query, slug in judged
            )
            shares.append((f"judged {name}, {where}", hits, len(judged)))
    return shares


def timed(index: Path, queries: list[str]) -> list[float]:
    """Search each query (for two minutes at most); return the latencies in milliseconds."""
    latencies = []
    deadline = time.monotonic() + 120
    for query in queries:
        started = time.perf_counter()
        search_folder(index, query, limit=10)
        latencies.append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kbgen-search-") as name:
        tmp = Path(name)
        root = generate(tmp / "corpus", args.articles, 0)
        started = time.perf_counter()
        # The render stage (every core) of a check: the reference cost for indexing.
        checked = check(BuildOptions(root=root, quiet=True), write_cache=True)
        rendering = time.perf_counter() - started
        # Indexed as the build indexes (kbgen.staging.start_whoosh): each tenant's index in a
        # worker of the build's pool, all at once.
        started = time.perf_counter()
        with process_pool() as pool:
            waits = [pool.submit(write_index, tmp / "tenants" / c.tenant.id, search_docs(c.site))
                     for c in checked]  # fmt: skip
            for wait in waits:
                wait.result()
        indexing = time.perf_counter() - started
        ratio = indexing / rendering
        docs = [d for c in checked for d in search_docs(c.site)]
        print(f"{len(docs)} articles: rendering {rendering:.2f} s, "
              f"Whoosh indexing {indexing:.2f} s ({ratio:.2f}x rendering)")  # fmt: skip
        write_index(tmp / "index", docs)  # queries run on one index of every article
        rng = random.Random(7)
        # Customers type the words of the domain, common and rare alike, and whole sentences.
        words = [
            " ".join(rng.choices(VOCABULARY[:2000], k=rng.randint(1, 4)))
            for _ in range(args.queries)
        ]
        sentences = [f"how do I {sentence(rng, 6, 12).lower()}" for _ in range(args.queries)]
        search_folder(tmp / "index", "warm up")
        for name, queries in (("queries of 1-4 words", words),
                              ("customer sentences of 9-15 words", sentences)):  # fmt: skip
            latencies = timed(tmp / "index", queries)
            print(
                f"{len(latencies)} {name}: p50 {percentile(latencies, 0.5):.1f} ms, "
                f"p95 {percentile(latencies, 0.95):.1f} ms, "
                f"mean {statistics.mean(latencies):.1f} ms"
            )
        for label, hits, total in judged_shares(tmp):
            print(f"{label}: right answer in the top 3 for {hits}/{total} ({hits / total:.0%})")


if __name__ == "__main__":
    main()
