"""The library floor: what the libraries alone cost for a corpus, one after the other.

Plain markdown-it-py rendering of every file, a plain Whoosh index of the same documents, and
Pagefind over plain pages, in one process. kbgen does all of that and much more (validation,
links, templates, two indexes per tenant); this is the bar it is measured against.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

from markdown_it import MarkdownIt
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema

from kbgen.search.pagefind import pagefind_command

FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
TAGS = re.compile(r"<[^>]+>")


def library_floor(content: Path) -> dict[str, float]:
    """Return seconds for each library step over every Markdown file under `content`."""
    files = sorted(content.rglob("*.md"))
    md = MarkdownIt("commonmark").enable("table")
    times: dict[str, float] = {}
    started = time.perf_counter()
    pages = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        pages.append((path, md.render(FRONT.sub("", text, count=1))))
    times["markdown-it-py"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        schema = Schema(path=ID(stored=True), title=TEXT(stored=True),
                        body=TEXT(analyzer=StemmingAnalyzer()))  # fmt: skip
        ix = whoosh_index.create_in(tmp, schema)
        writer = ix.writer(limitmb=256)
        for path, html in pages:
            writer.add_document(path=str(path), title=path.stem, body=TAGS.sub(" ", html))
        writer.commit()
        times["whoosh"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        for i, (path, html) in enumerate(pages):
            page = site / f"p{i}" / "index.html"
            page.parent.mkdir()
            page.write_text(
                f"<html><head><title>{path.stem}</title></head><body>{html}</body></html>"
            )
        started = time.perf_counter()
        subprocess.run([*pagefind_command(), "--site", tmp, "--silent"], check=True)
        times["pagefind"] = time.perf_counter() - started
    times["total"] = sum(times.values())
    return times
