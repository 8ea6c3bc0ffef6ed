"""Build speed of kbgen against the library floor and three peers, on generated corpora.

python -m bench.build [--sizes 100 500 2000 10000] [--memory 20000] [--peers mkdocs zensical hugo]
                      [--sample-runs 5]

First, a cold build of the repository's sample help center (a fresh process, no earlier
output), the median of a few runs, beside the library floor over the same files.
For each size: a full build (seconds, pages/s, peak memory of the whole process tree),
an incremental rebuild after editing one article (CLI, and in-process as `kbgen serve` does),
the ratio to the library floor (markdown-it-py + Whoosh + Pagefind, one after the other), and
the same corpus built by each peer in the same run (see bench/peers.py: MkDocs 1.6, Zensical,
Hugo followed by Pagefind; each installed once into its own virtual environment under the
temporary directory, only for this benchmark), with its HTML page count and kbgen's ratio.
A table of full-build seconds per size and generator closes the run. `--peers NAME...` picks
the peers (`--peers` alone: kbgen only); `--no-mkdocs` still works and drops MkDocs.
Figures are single runs on a shared machine: compare sizes and ratios within one run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import generate
from bench.floor import library_floor
from bench.measure import run
from bench.peers import PEERS, Peer, count_html

KBGEN = [sys.executable, "-m", "kbgen.cli", "-q"]
REBUILD_TIMEOUT = 1800  # seconds, for the in-process rebuild's two builds


def edit_one(root: Path) -> None:
    """Change one sentence of one article, as a writer does."""
    article = next(iter(sorted((root / "content" / "eur" / "articles").rglob("*.md"))))
    article.write_text(article.read_text() + "\nOne more sentence from the writer.\n")


EDITS = 5  # edits timed in one kbgen serve-like process: the first, then the ones after it


def in_process_rebuild(root: Path) -> list[tuple[float, float]]:
    """Time rebuilds the way `kbgen serve` does them (kbgen.serve.LiveSite.rebuild): in a
    process that has built before, one edit after another, each build followed by the search
    indexes' catch-up and the warm-up for the next edit; return (seconds to swap the site in,
    the indexes' lag) per edit."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from kbgen.build import BuildState, build\n"
        "from kbgen.config import BuildOptions\n"
        "from kbgen.staging import warm_up\n"
        "if __name__ == '__main__':\n"
        "    options = BuildOptions(root=Path(sys.argv[1]), quiet=True)\n"
        "    state = BuildState(defer_pagefind=True)\n"
        "    warm_up(build(options, state), options, state)\n"
        "    state.catch_up()\n"
        "    articles = sorted((options.content_dir / 'eur' / 'articles').rglob('*.md'))\n"
        f"    for article in articles[1:{EDITS + 1}]:\n"
        "        article.write_text(article.read_text() + '\\nAnother sentence.\\n')\n"
        "        started = time.perf_counter()\n"
        "        checked = build(options, state)\n"
        "        swapped = time.perf_counter()\n"
        "        state.catch_up()\n"
        "        print(swapped - started, time.perf_counter() - swapped)\n"
        "        warm_up(checked, options, state)\n"
    )
    script = root / "rebuild.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script), str(root)], capture_output=True,
                          text=True, check=True, timeout=REBUILD_TIMEOUT)  # fmt: skip
    lines = done.stdout.strip().splitlines()[-EDITS:]
    return [(float(swap), float(lag)) for swap, lag in (line.split() for line in lines)]


def versus(kbgen: float, peer: float, name: str) -> str:
    """Say how kbgen's full build compares with a peer's, the way a note would quote it."""
    ratio = peer / kbgen
    if ratio >= 1:
        return f"kbgen is {ratio:.1f}x faster than {name}"
    return f"kbgen is {ratio:.1f}x as fast as {name} ({name} is {1 / ratio:.1f}x faster)"


def race(root: Path, kbgen: float, peers: list[Peer]) -> dict[str, float]:
    """Build the corpus with each peer; return their seconds, leaving out any that failed.

    A failing peer is reported and skipped rather than ending the run, so the other figures
    of a long benchmark are not lost to one peer's bad day.
    """
    seconds: dict[str, float] = {}
    for peer in peers:
        try:
            done = peer.build(root)
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            print(f"{peer.name}: failed, left out ({error})", flush=True)
            continue
        parts = "".join(f", {k} {v:.2f} s" for k, v in done.parts.items())
        print(
            f"{peer.name}: {done.seconds:.2f} s ({done.pages} HTML pages{parts}), "
            f"peak memory {done.peak_rss_mb:.0f} MB; {versus(kbgen, done.seconds, peer.name)}",
            flush=True,
        )
        seconds[peer.key] = done.seconds
    return seconds


def measure(size: int, peers: list[Peer], base: Path) -> dict[str, float]:
    """Run every build measurement for one corpus size; return full-build seconds by generator."""
    root = base / f"corpus-{size}"
    generate(root, size, size // 10)
    pages = sum(1 for _ in (root / "content").rglob("*.md"))
    print(
        f"\n== {size} articles, {size // 10} FAQs ({pages} Markdown files, 2 tenants)", flush=True
    )
    floor = library_floor(root / "content")
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in floor.items() if k != "total")
    print(f"library floor: {floor['total']:.2f} s ({parts})", flush=True)
    full = run([*KBGEN, "--root", str(root), "build"])
    print(
        f"kbgen full build: {full.seconds:.2f} s ({count_html(root / 'site')} HTML pages), "
        f"{pages / full.seconds:.0f} pages/s, "
        f"peak memory {full.main_rss_mb:.0f} MB (kbgen process; {full.peak_rss_mb:.0f} MB with "
        f"workers and Pagefind); {full.seconds / floor['total']:.2f}x the floor",
        flush=True,
    )
    edit_one(root)
    inc = run([*KBGEN, "--root", str(root), "build"])
    print(f"kbgen incremental (CLI, one article edited): {inc.seconds:.2f} s", flush=True)
    edits = in_process_rebuild(root)
    (first, lag), later = edits[0], sorted(swap for swap, _lag in edits[1:])
    print(
        f"kbgen incremental as `kbgen serve` does it: site swapped in {first:.2f} s after the "
        f"first edit (Pagefind caught up {lag:.2f} s later), median {later[len(later) // 2]:.2f} s "
        f"over the {len(later)} edits after it",
        flush=True,
    )
    seconds = {"kbgen": full.seconds, **race(root, full.seconds, peers)}
    shutil.rmtree(root)
    return seconds


def table(results: dict[int, dict[str, float]], peers: list[Peer]) -> str:
    """Return full-build seconds as a Markdown table: a row per size, a column per generator."""
    columns = [("kbgen", "kbgen"), *((peer.key, peer.name) for peer in peers)]
    lines = [
        "| articles | " + " | ".join(name for _, name in columns) + " |",
        "|---:|" + "---:|" * len(columns),
    ]
    for size, seconds in results.items():
        cells = [f"{seconds[key]:.2f}" if key in seconds else "failed" for key, _ in columns]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def installed(keys: list[str]) -> list[Peer]:
    """Install the chosen peers before anything is timed; print what runs, drop what cannot."""
    peers: list[Peer] = []
    for key in keys:
        peer = PEERS[key]
        try:
            print(f"peer {peer.name}: {peer.label()}", flush=True)
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            print(f"peer {peer.name}: could not be installed, left out ({error})", flush=True)
            continue
        peers.append(peer)
    return peers


SAMPLE = Path(__file__).resolve().parents[1] / "content"  # the repository's sample help center


def cold_sample(runs: int, base: Path) -> None:
    """Time a cold build of the sample help center: a fresh process and no earlier output
    (site/, build/ and the render cache removed before each run); print the median."""
    root = base / "sample"
    shutil.copytree(SAMPLE, root / "content")
    documents = sum(1 for _ in (root / "content").rglob("*.md"))
    floor = library_floor(root / "content")
    seconds = []
    for _ in range(runs):
        for output in ("site", "build"):
            shutil.rmtree(root / output, ignore_errors=True)
        seconds.append(run([*KBGEN, "--root", str(root), "build"]).seconds)
    seconds.sort()
    median = seconds[len(seconds) // 2]
    print(
        f"\n== the sample help center ({documents} Markdown files): cold build (fresh process, "
        f"no earlier output) median {median:.2f} s, fastest {seconds[0]:.2f} s over {runs} runs; "
        f"the library floor {floor['total']:.2f} s ({median / floor['total']:.1f}x the floor)",
        flush=True,
    )
    shutil.rmtree(root)


def memory_only(size: int, base: Path) -> None:
    root = base / f"corpus-{size}"
    generate(root, size, size // 10)
    started = time.perf_counter()
    full = run([*KBGEN, "--root", str(root), "build"])
    took = time.perf_counter() - started
    print(
        f"\n== {size} articles: full build {full.seconds:.1f} s, "
        f"peak memory {full.main_rss_mb:.0f} MB (kbgen process; {full.peak_rss_mb:.0f} MB with "
        f"workers and Pagefind) [{took:.0f} s with the corpus]"
    )
    shutil.rmtree(root)


def main() -> None:
    """Install the peers, measure every size, then print the table a note can quote."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 2000, 10000])
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="sizes for memory only")
    parser.add_argument("--peers", nargs="*", choices=list(PEERS), default=list(PEERS))
    parser.add_argument("--no-mkdocs", action="store_true", help="the same as leaving mkdocs out")
    parser.add_argument("--sample-runs", type=int, default=5, help="cold sample builds (0: none)")
    args = parser.parse_args()
    keys = [key for key in args.peers if not (args.no_mkdocs and key == "mkdocs")]
    peers = installed(keys)
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="kbgen-bench-") as tmp:
        if args.sample_runs > 0:
            cold_sample(args.sample_runs, Path(tmp))
        for size in args.sizes:
            results[size] = measure(size, peers, Path(tmp))
        for size in args.memory:
            memory_only(size, Path(tmp))
    if results:
        print("\nFull build, seconds (one run each; the same corpus for every generator)")
        print(table(results, peers))


if __name__ == "__main__":
    main()
