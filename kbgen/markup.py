"""The Markdown dialect writers use: the parser, its extensions and how they render."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache, lru_cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors.index import slugify
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.gfm import gfm_plugin

from kbgen.highlight import highlight_code

# Ids kbgen's templates give their own elements (tests/kbgen/test_markup_corners.py checks the
# list); a heading taking one would break the skip link, the search box or a labelled region.
PAGE_IDS = frozenset(
    {"main", "search", "search-q", "site-search", "hero-q", "nf-q", "no-results", "site-nav"}
    | {"cats-h", "faq-h", "faq-jump-h", "featured-h", "recent-h", "related-h", "helpful-h"}
    | {"no-results-h"}
    # search-box.js: the list of each box (<box id>-list) and its options (-list-<n>)
    | {"site-search-list", "hero-q-list", "nf-q-list"}
)
# The footnote plugin numbers its notes fn1, fn2… and their references fnref1, fnref1:1…
_FOOTNOTE_ID = re.compile(r"fn(ref)?\d+")
_UNTITLED = "section"  # the id of a heading whose text gives no slug (only punctuation)


def _wrap_table(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # A focusable, labelled scroll region lets keyboard users scroll wide tables on phones.
    opening = '<div class="table-wrap" role="region" aria-label="Table" tabindex="0">'
    if tokens[idx].type == "table_open":
        return opening + self.renderToken(tokens, idx, options, env)
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


def _indented_code(
    _self: RendererHTML, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    """Render an indented code block as a fence without a language: out of the search,
    scrollable by keyboard, with its Copy button."""
    return highlight_code(tokens[idx].content, "", "")


@lru_cache(maxsize=8)
def _closing_lines(src: str) -> tuple[int, ...]:
    """Return the numbers of the lines holding `-->`, once per document."""
    return tuple(i for i, line in enumerate(src.split("\n")) if "-->" in line)


def _comment_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Drop a comment that fills whole lines, with or without raw HTML allowed.

    A comment with text after its `-->` is left to the paragraph (whose inline rule drops it)
    or, with raw HTML allowed, to the HTML block; an unclosed one stays visible as text.
    """
    if state.is_code_block(start):
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not first.startswith("<!--"):
        return False
    close, last, text = first.find("-->", 2), start, first  # from 2: `<!-->` is a comment too
    if close < 0:
        # Bisecting the lines that hold `-->` keeps a page of unclosed `<!--` lines linear.
        lines = _closing_lines(state.src)
        at = bisect_right(lines, start)
        if at == len(lines) or lines[at] >= end:
            return False
        last = lines[at]
        if state.blkIndent and any(
            state.sCount[n] < state.blkIndent and not state.isEmpty(n)
            for n in range(start + 1, last + 1)
        ):
            return False  # the list item ends before the comment does
        text = state.src[state.bMarks[last] + state.tShift[last] : state.eMarks[last]]
        close = text.find("-->")
    if close < 0 or text[close + 3 :].strip():
        return False
    if not silent:
        state.line = last + 1
        # Nothing of the comment is kept; the token renders as the line break that keeps
        # "item" and "more" apart when a comment sits between them in a tight list.
        token = state.push("html_comment", "", 0)
        token.map = [start, last + 1]
    return True


@lru_cache(maxsize=8)
def _last_close(src: str) -> int:
    return src.rfind("-->")


def _comment_inline(state: StateInline, _silent: bool) -> bool:
    """Drop a comment inside a paragraph, heading, list item or table cell (no token either way)."""
    pos = state.pos
    if not state.src.startswith("<!--", pos) or _last_close(state.src) < pos + 2:
        return False
    close = state.src.find("-->", pos + 2)
    if close + 3 > state.posMax:
        return False
    state.pos = close + 3
    return True


def _heading_ids(state: StateCore) -> None:
    """Give every heading an id unique on its page: apart from other headings' and kbgen's own.

    Ids follow GitHub's slugs (`## Set up SSO` is `set-up-sso`); a taken one gets -1, -2….
    """
    taken = set(PAGE_IDS)
    tried: dict[str, int] = {}  # slug -> the last number tried: a page of 10,000 equal
    # headings counts up once, not from 1 for each (which took minutes)
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        children = state.tokens[index + 1].children or []
        title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        slug = slugify(title.strip()) or _UNTITLED
        unique, n = slug, tried.get(slug, 0)
        if n:
            unique = f"{slug}-{n}"
        while unique in taken or _FOOTNOTE_ID.fullmatch(unique):
            n += 1
            unique = f"{slug}-{n}"
        tried[slug] = n
        taken.add(unique)
        token.attrSet("id", unique)


# How deep blocks may nest (a list item is two levels: the list and the item). markdown-it
# silently drops whatever lies deeper, so a page that reaches it is refused (render.py).
NESTING = 40


@cache
def markdown(allow_html: bool) -> MarkdownIt:
    """Return the one configured parser for the given raw-HTML policy."""
    md = MarkdownIt(
        "commonmark", {"html": allow_html, "highlight": highlight_code, "typographer": False}
    )
    md.options["maxNesting"] = NESTING
    md.use(gfm_plugin).use(deflist_plugin).use(admon_plugin)
    # gfm_plugin strikes `~one~` through too: "it takes ~5 minutes~ish" lost its tildes.
    md.options["strikethrough_single_tilde"] = False
    # A comment ends a paragraph, as an HTML block does, whether raw HTML is allowed or not.
    alt = ["paragraph", "reference", "blockquote"]
    md.block.ruler.before("html_block", "html_comment", _comment_block, {"alt": alt})
    md.inline.ruler.before("autolink", "html_comment", _comment_inline)
    md.add_render_rule("html_comment", lambda *_: "\n")
    md.core.ruler.push("heading_ids", _heading_ids)
    md.add_render_rule("table_open", _wrap_table)
    md.add_render_rule("table_close", _wrap_table)
    md.add_render_rule("code_block", _indented_code)
    return md


class _StartTags(HTMLParser):
    """Finds every start tag of an HTML fragment, with where it is and its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0]
        for line in html.split("\n")[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.tags: list[tuple[int, str, str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        self.tags.append((self.line_starts[line - 1] + column, raw, tag, attrs))


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.IGNORECASE)


def demote_headings(html: str, by: int) -> str:
    """Return `html` with each heading `by` levels lower (at most h6): an FAQ's `##` is an h4
    on the FAQ page, under its question's h3, not a sibling of the category headings."""
    return _HEADING_TAG.sub(lambda tag: f"<{tag[1]}h{min(6, int(tag[2]) + by)}", html)


def rename_ids(html: str, taken: set[str], prefix: str) -> str:
    """Return `html` with each id already in `taken` renamed, and the fragment's links to it.

    A renamed id becomes `<prefix>-<id>` (then -1, -2… while taken); every id ends up in
    `taken`, so fragments renamed one after another never share one.
    """
    tags = _StartTags(html).tags
    renamed: dict[str, str] = {}
    seen: set[str] = set()  # a writer's raw HTML may repeat an id; it is renamed once
    for _, _, _, attrs in tags:
        for name, value in attrs:
            if name != "id" or value is None or value in seen:
                continue
            seen.add(value)
            new, n = value, 0
            while new in taken:
                n += 1
                new = f"{prefix}-{value}" + (f"-{n - 1}" if n > 1 else "")
            taken.add(new)
            if new != value:
                renamed[value] = new
    if not renamed:
        return html
    pieces, done = [], 0
    for start, raw, tag, attrs in tags:
        changed = [(k, _renamed(k, v, renamed)) for k, v in attrs]
        if changed != attrs:
            rebuilt = "".join(f" {k}" if v is None else f' {k}="{escape(v)}"' for k, v in changed)
            end = " />" if raw.endswith("/>") else ">"
            pieces += [html[done:start], f"<{tag}{rebuilt}{end}"]
            done = start + len(raw)
    return "".join(pieces) + html[done:]


def _renamed(name: str, value: str | None, renamed: dict[str, str]) -> str | None:
    if value is None:
        return None
    if name == "id":
        return renamed.get(value, value)
    if name == "href" and value.startswith("#") and (new := renamed.get(unquote(value[1:]))):
        return normalizeLink("#" + new)  # percent-encoded as markdown-it writes links
    return value
