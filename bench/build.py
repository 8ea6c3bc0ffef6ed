"""Build speed of kbgen against the library floor and MkDocs, on generated corpora.

python -m bench.build [--sizes 2000 5000] [--memory 20000] [--no-mkdocs]

For each size: a full build (seconds, pages/s, peak memory of the whole process tree),
an incremental rebuild after editing one article (CLI, and in-process as `kbgen serve` does),
and the ratios to (a) the library floor (markdown-it-py + Whoosh + Pagefind, one after the other)
and (b) `mkdocs build` (MkDocs 1.6, default theme, installed into its own virtual environment
under /tmp only for this benchmark).
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

MKDOCS_VENV = Path(tempfile.gettempdir()) / "kbgen-bench-mkdocs"
KBGEN = [sys.executable, "-m", "kbgen.cli", "-q"]


def mkdocs_bin() -> Path:
    """Install MkDocs 1.6 into a throw-away virtual environment once; return its executable."""
    exe = MKDOCS_VENV / "bin" / "mkdocs"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MKDOCS_VENV)], check=True)
        pip = [str(MKDOCS_VENV / "bin" / "pip"), "install", "-q", "mkdocs>=1.6,<1.7"]
        subprocess.run(pip, check=True, stderr=subprocess.DEVNULL)  # local index warnings
    return exe


def mkdocs_seconds(root: Path) -> float:
    """Build the same corpus (both tenants, one MkDocs site) with the default theme."""
    project = root / "mkdocs"
    shutil.copytree(root / "content", project / "docs")
    (project / "docs" / "site.yaml").unlink()
    config = "site_name: Bench\nmarkdown_extensions: [admonition, tables, fenced_code, footnotes]\n"
    (project / "mkdocs.yml").write_text(config)
    out = root / "mkdocs-site"
    env = {"NO_MKDOCS_2_WARNING": "1"}
    return run([str(mkdocs_bin()), "build", "-q", "-d", str(out)], cwd=project, env=env).seconds


def edit_one(root: Path) -> None:
    """Change one sentence of one article, as a writer does."""
    article = next(iter(sorted((root / "content" / "eur" / "articles").rglob("*.md"))))
    article.write_text(article.read_text() + "\nOne more sentence from the writer.\n")


def in_process_rebuild(root: Path) -> tuple[float, float]:
    """Time a rebuild the way `kbgen serve` does it: in a process that has built before."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from kbgen.build import BuildState, build\n"
        "from kbgen.config import BuildOptions\n"
        "if __name__ == '__main__':\n"
        "    options = BuildOptions(root=Path(sys.argv[1]), quiet=True)\n"
        "    state = BuildState(defer_pagefind=True)\n"
        "    build(options, state)\n"
        "    state.catch_up()\n"
        "    article = sorted((options.content_dir / 'eur' / 'articles').rglob('*.md'))[1]\n"
        "    article.write_text(article.read_text() + '\\nAnother sentence.\\n')\n"
        "    started = time.perf_counter()\n"
        "    build(options, state)\n"
        "    swapped = time.perf_counter()\n"
        "    state.catch_up()\n"
        "    print(swapped - started, time.perf_counter() - swapped)\n"
    )
    script = root / "rebuild.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script), str(root)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    swap, search = done.stdout.strip().splitlines()[-1].split()
    return float(swap), float(search)


def measure(size: int, with_mkdocs: bool, base: Path) -> None:
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
        f"kbgen full build: {full.seconds:.2f} s, {pages / full.seconds:.0f} pages/s, "
        f"peak memory {full.main_rss_mb:.0f} MB (kbgen process; {full.peak_rss_mb:.0f} MB with "
        f"workers and Pagefind); {full.seconds / floor['total']:.2f}x the floor",
        flush=True,
    )
    edit_one(root)
    inc = run([*KBGEN, "--root", str(root), "build"])
    print(f"kbgen incremental (CLI, one article edited): {inc.seconds:.2f} s", flush=True)
    swap, search = in_process_rebuild(root)
    print(
        f"kbgen incremental as `kbgen serve` does it: site swapped in {swap:.2f} s, "
        f"Pagefind caught up {search:.2f} s later",
        flush=True,
    )
    if with_mkdocs:
        seconds = mkdocs_seconds(root)
        print(f"mkdocs build: {seconds:.2f} s; kbgen is {seconds / full.seconds:.1f}x faster")
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="sizes for memory only")
    parser.add_argument("--no-mkdocs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kbgen-bench-") as tmp:
        for size in args.sizes:
            measure(size, not args.no_mkdocs, Path(tmp))
        for size in args.memory:
            memory_only(size, Path(tmp))


if __name__ == "__main__":
    main()
