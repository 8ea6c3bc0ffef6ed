"""Split a Markdown file into its YAML front-matter and its body."""

from __future__ import annotations

from dataclasses import dataclass

from kbgen.errors import Problem
from kbgen.yamlio import LoadedMapping, load_mapping

FENCE = "---"


@dataclass(frozen=True)
class Split:
    """Front-matter fields and the Markdown body, with the body's first line in the file."""

    meta: LoadedMapping
    body: str
    body_line: int


def split_front_matter(text: str, path: str) -> Split:
    """Separate `---`-fenced YAML at the top of `text` from the body; report a bad fence."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        said = "the file must start with a --- line"
        if lines[0].startswith(FENCE + "\r"):  # one line: its ends are CR alone
            said = ("its lines end with CR alone (old Mac line ends), so it reads as one line:"
                    " save it with LF or CRLF line ends")  # fmt: skip
        missing = LoadedMapping(problems=[Problem(path, 1, "front-matter", said)])
        return Split(missing, text, 1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            meta = load_mapping("\n".join(lines[1:index]), path, first_line=2)
            return Split(meta, "\n".join(lines[index + 1 :]), index + 2)
    unclosed = LoadedMapping(
        problems=[Problem(path, 1, "front-matter", "the opening --- has no closing --- line")]
    )
    return Split(unclosed, "", len(lines))
