"""Syntax highlighting of fenced code with Pygments, and the matching stylesheet."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)
LIGHT_STYLE = "default"
DARK_STYLE = "monokai"


@lru_cache(maxsize=256)
def _lexer(name: str) -> Lexer | None:
    """Return the lexer of a language name, or None; a lexer holds only its options, so one
    serves every block (making one per block cost 3% of all rendering)."""
    try:
        # Pygments drops leading and trailing blank lines by default; the writer put them there.
        return get_lexer_by_name(name, stripnl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Return a highlighted <pre> block, labelled with its language's name; unknown languages
    are shown as escaped plain text."""
    name = lang.strip().split()[0].lower() if lang.strip() else ""
    lexer = _lexer(name) if name else None
    attrs = f' data-lang="{escape(name)}"' if name else ""
    if lexer is not None:  # the label readers see ("Python" for py)
        attrs += f' data-label="{escape(lexer.name)}"'
    body = highlight(code, lexer, _FORMATTER) if lexer else escape(code)
    # Code is not prose: its tokens must not match searches nor fill result excerpts. A long
    # line scrolls the block sideways, which a keyboard can do only in a focusable element.
    attrs += ' tabindex="0" data-pagefind-ignore'
    return f'<pre class="highlight"{attrs}><code>{body}</code></pre>\n'


def pygments_css() -> str:
    """Return CSS for highlighted code in light and dark colour schemes."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
