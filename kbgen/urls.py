"""How a path of a tenant's site maps to the file that serves it."""

from __future__ import annotations

from collections.abc import Iterable

from kbgen.schema import slugify

# Folders kbgen fills itself (fingerprinted styles and scripts, the Pagefind index).
GENERATED_FOLDERS = frozenset({"assets", "pagefind"})
VOCABULARY_FOLDER = "search/words"  # the static search's words (kbgen.vocabulary)


def served_file(rel: str) -> str:
    """Return the file that serves a path relative to the site's base ("faq/" ->
    "faq/index.html", "kb/old" -> "kb/old/index.html", "images/a.png" as it is)."""
    if not rel or rel.endswith("/"):
        return rel + "index.html"
    last = rel.rsplit("/", 1)[-1]
    return rel if "." in last else rel + "/index.html"


def file_url(base_path: str, file: str) -> str:
    """Return the address a reader uses for a file of the site ("a/index.html" -> "/eur/a/")."""
    return base_path + file.removesuffix("index.html")


TAGS = "tags/"  # the folder of the tag pages: tags/ lists every tag, tags/<slug>/ one


def tag_pages(names: Iterable[str]) -> set[str]:
    """Return the files of the tag pages for these tag names: "tags/index.html" and one page
    per slug (tags that share a slug share a page); none without tags."""
    slugs = {slugify(name) for name in names} - {""}
    pages = {served_file(f"{TAGS}{s}/") for s in slugs}
    return {served_file(TAGS), *pages} if slugs else set()
