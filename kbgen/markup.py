"""The Markdown dialect writers use: the parser, its extensions and how they render."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
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


@cache
def markdown(allow_html: bool) -> MarkdownIt:
    """Return the one configured parser for the given raw-HTML policy."""
    md = MarkdownIt(
        "commonmark", {"html": allow_html, "highlight": highlight_code, "typographer": False}
    )
    md.use(gfm_plugin).use(deflist_plugin).use(admon_plugin)
    # GitHub's plugin strikes `~one~` through too, which mangles "~5 minutes ~ roughly" prose.
    md.options["strikethrough_single_tilde"] = False
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.add_render_rule("table_open", _wrap_table)
    md.add_render_rule("table_close", _wrap_table)
    return md
