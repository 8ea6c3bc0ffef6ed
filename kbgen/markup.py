"""The Markdown dialect writers use: the parser, its extensions and how they render."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.gfm import gfm_plugin

from kbgen.highlight import highlight_code


def _wrap_table(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # A focusable, labelled scroll region lets keyboard users scroll wide tables on phones.
    opening = '<div class="table-wrap" role="region" aria-label="Table" tabindex="0">'
    if tokens[idx].type == "table_open":
        return opening + self.renderToken(tokens, idx, options, env)
    return self.renderToken(tokens, idx, options, env) + "</div>\n"


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


@cache
def markdown(allow_html: bool) -> MarkdownIt:
    """Return the one configured parser for the given raw-HTML policy."""
    md = MarkdownIt(
        "commonmark", {"html": allow_html, "highlight": highlight_code, "typographer": False}
    )
    md.use(gfm_plugin).use(deflist_plugin).use(admon_plugin)
    # GitHub's plugin strikes `~one~` through too, which mangles "~5 minutes ~ roughly" prose.
    md.options["strikethrough_single_tilde"] = False
    # A comment ends a paragraph, as an HTML block does, whether raw HTML is allowed or not.
    alt = ["paragraph", "reference", "blockquote"]
    md.block.ruler.before("html_block", "html_comment", _comment_block, {"alt": alt})
    md.inline.ruler.before("autolink", "html_comment", _comment_inline)
    md.add_render_rule("html_comment", lambda *_: "\n")
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.add_render_rule("table_open", _wrap_table)
    md.add_render_rule("table_close", _wrap_table)
    return md
