"""Static search benchmark: what the spelling of the search page costs, at the build and in
the reader's browser, on generated articles.

python -m bench.static_search [--articles 10000] [--queries 20]

Prints: the seconds the vocabulary files take at the build, beside the whole build's seconds
(the reference); their size; and the bytes the search page fetches after it has loaded, per
query, for queries typed right (the reference: Pagefind alone) and for the same queries with
one letter dropped (Pagefind, then the vocabulary files the spelling loads). Runs Chromium
(Debian's, as the browser tests do).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.corpus import VOCABULARY, generate
from kbgen.build import build, check
from kbgen.config import BuildOptions, load_site_config
from kbgen.serve import make_server
from kbgen.vocabulary import FOLDER, vocabulary_files

CHROMIUM = "/usr/bin/chromium"


def fetched_bytes(page: Page, base: str, query: str) -> dict[str, int]:
    """Search `query` on a freshly loaded search page; return the bytes it fetched after
    loading, by kind (Pagefind's files, the vocabulary files)."""
    page.goto(f"{base}/eur/search/")
    page.wait_for_load_state("networkidle")
    sizes = {"pagefind": 0, "vocabulary": 0}

    def counted(response: object) -> None:
        url = response.url  # type: ignore[attr-defined]
        kind = "vocabulary" if f"/{FOLDER}/" in url else "pagefind" if "/pagefind/" in url else ""
        if kind:
            sizes[kind] += len(response.body())  # type: ignore[attr-defined]

    page.on("response", counted)
    page.locator(".pagefind-ui__search-input").fill(query)
    page.wait_for_timeout(300)  # the UI's debounce
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # a correction triggers a second search
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", counted)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20, help="queries of each kind")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="kbgen-static-search-") as name:
        root = generate(Path(name) / "corpus", args.articles, 0)
        options = BuildOptions(root=root, quiet=True)
        started = time.perf_counter()
        build(options)
        build_seconds = time.perf_counter() - started
        checked = check(options)
        started = time.perf_counter()
        files = {item.tenant.id: vocabulary_files(item.site) for item in checked}
        vocabulary_seconds = time.perf_counter() - started
        size = sum(len(data) for tenant in files.values() for data in tenant.values())
        count = sum(len(tenant) for tenant in files.values())
        share = 100 * vocabulary_seconds / build_seconds
        print(f"{args.articles} articles: build {build_seconds:.1f} s; vocabulary files "
              f"{vocabulary_seconds:.2f} s ({share:.1f}% of the build), {count} files, "
              f"{size / 1024:.0f} KiB")  # fmt: skip
        server = make_server(load_site_config(root), root / "site", "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        words = [w for w in rng.sample(VOCABULARY, args.queries * 3) if len(w) >= 5]
        right = words[: args.queries]
        typos = [w[:2] + w[3:] for w in right]  # one letter dropped
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                page = browser.new_page()
                for label, queries in (("typed right", right), ("one letter dropped", typos)):
                    runs = [fetched_bytes(page, base, q) for q in queries]
                    pagefind = statistics.median(r["pagefind"] for r in runs)
                    vocabulary = statistics.median(r["vocabulary"] for r in runs)
                    print(f"{label:>20}: median {(pagefind + vocabulary) / 1024:.1f} KiB a query "
                          f"(Pagefind {pagefind / 1024:.1f}, vocabulary "
                          f"{vocabulary / 1024:.1f}), largest "
                          f"{max(sum(r.values()) for r in runs) / 1024:.1f} KiB")  # fmt: skip
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
