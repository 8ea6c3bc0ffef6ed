"""A tenant's look, from its `brand` and `categories` in site.yaml: logo, favicon, accent
colours checked for WCAG AA contrast in the light and the dark scheme, the home page's words,
footer links and the categories' descriptions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kbgen.schema import KbCategory, did_you_mean

BRAND_FIELDS = ("logo", "favicon", "accent", "accent_dark", "hero", "search_placeholder",
                "footer_links")  # fmt: skip
IMAGE_SUFFIXES = (".svg", ".png", ".ico", ".webp", ".jpg", ".jpeg", ".gif")
HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
AA_TEXT = 4.5  # WCAG 2 AA, body text
# What an accent is read on (templates/site/static/style.css), per scheme: links on the page
# and on panels (the header, cards); a button's text on the accent is the page's colour.
BACKGROUNDS = {
    "light": {"the page (#ffffff)": "#ffffff", "panels (#f3f5f7)": "#f3f5f7"},
    "dark": {"the page (#0f1419)": "#0f1419", "panels (#182029)": "#182029"},
}
TEXT_MAX = {"hero": 80, "search_placeholder": 80, "description": 200, "label": 40}
FOOTER_LINKS_MAX = 8

Report = Callable[[str, str], None]  # (field under the tenant, message): a located problem


@dataclass(frozen=True)
class Brand:
    """How one tenant's pages look beyond the shared theme."""

    logo: str = ""  # a file under content/<tenant>/, served at the same path under the site
    favicon: str = ""
    accent: str = ""  # links and buttons in the light scheme; "" keeps the theme's
    accent_dark: str = ""  # the same in the dark scheme
    hero: str = "How can we help?"
    search_placeholder: str = "Describe your question, e.g. reset password"
    footer_links: tuple[tuple[str, str], ...] = ()  # (label, URL)

    def css(self) -> str:
        """Return the stylesheet that sets the accents over the theme's ("" when none is set)."""
        # Each accent in its own scheme only: the light one was checked against light
        # backgrounds, and the theme's dark accent stays where the tenant gives none.
        rules = []
        for scheme, colour in (("light", self.accent), ("dark", self.accent_dark)):
            if colour:
                rules.append(f"@media (prefers-color-scheme: {scheme}) {{ :root {{ --accent:"
                             f" {colour}; }} }}")  # fmt: skip
        return "".join(f"{rule}\n" for rule in rules)


def luminance(colour: str) -> float:
    """Return the relative luminance of a #rgb or #rrggbb colour (WCAG 2's definition)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """Return the WCAG 2 contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _text(raw: Any, name: str, limit: int, bad: Report) -> str | None:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        bad(name, "must be text")
        return None
    text = str(raw).strip()
    if not text or len(text) > limit or any(ord(c) < 32 for c in text):
        bad(name, f"must be one line of 1 to {limit} characters")
        return None
    return text


def _colour(raw: Any, name: str, scheme: str, bad: Report) -> str:
    if not isinstance(raw, str) or not HEX.match(raw.strip()):
        bad(name, f"{raw!r} is not a colour written as #rrggbb or #rgb")
        return ""
    colour = raw.strip().lower()
    for where, background in BACKGROUNDS[scheme].items():
        ratio = contrast(colour, background)
        if ratio < AA_TEXT:
            bad(name, f"{colour} on {where} has a contrast of {ratio:.2f}:1 in the {scheme}"
                      f" scheme; WCAG AA needs {AA_TEXT}:1 for text")  # fmt: skip
            return ""
    return colour


def _image(raw: Any, key: str, root: Path, folder: str, bad: Report) -> str:
    name = f"brand.{key}"
    path = PurePosixPath(str(raw).strip()) if isinstance(raw, str) else None
    if path is None or path.is_absolute() or ".." in path.parts or not path.parts:
        bad(name, f"give a path under {folder}/, such as images/{key}.svg")
        return ""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        bad(name, f"{path} is not an image; use one of {', '.join(IMAGE_SUFFIXES)}")
        return ""
    if path.parts[0] == "templates" or not (root / folder / path).is_file():
        bad(name, f"{folder}/{path} does not exist")  # (templates/ is not copied to the site)
        return ""
    return path.as_posix()


def _links(raw: Any, check_url: Callable[[Any], str], bad: Report) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or len(raw) > FOOTER_LINKS_MAX:
        bad("footer_links", f"must be a list of at most {FOOTER_LINKS_MAX} links, each with"
                            " label and url")  # fmt: skip
        return ()
    links = []
    for n, item in enumerate(raw, 1):
        name = f"footer_links[{n}]"
        if not isinstance(item, dict) or set(item) != {"label", "url"}:
            bad(name, "give label and url, e.g. {label: Status, url: https://status.example}")
            continue
        label = _text(item["label"], f"{name}.label", TEXT_MAX["label"], bad)
        try:
            url = check_url(item["url"])
        except ValueError as exc:
            bad(f"{name}.url", str(exc))
            continue
        if label:
            links.append((label, url))
    return tuple(links)


def read_brand(
    raw: Any, root: Path, tenant_id: str, check_url: Callable[[Any], str], bad: Report
) -> Brand:
    """Return the tenant's look from its `brand` mapping; each problem goes to `bad` with the
    field it is about (the images are under `root`/content/<tenant>)."""
    if raw is None:
        return Brand()
    if not isinstance(raw, dict):
        bad("brand", "must be a mapping of " + ", ".join(BRAND_FIELDS))
        return Brand()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"brand.{key}"
        if key not in BRAND_FIELDS:
            bad(name, f"unknown field; allowed: {', '.join(BRAND_FIELDS)}"
                      + did_you_mean(str(key), BRAND_FIELDS))  # fmt: skip
        elif key in ("logo", "favicon"):
            values[key] = _image(value, key, root, f"content/{tenant_id}", bad)
        elif key in ("accent", "accent_dark"):
            scheme = "dark" if key == "accent_dark" else "light"
            values[key] = _colour(value, name, scheme, bad)
        elif key == "footer_links":
            values[key] = _links(value, check_url, lambda n, msg: bad(f"brand.{n}", msg))
        else:
            values[key] = _text(value, name, TEXT_MAX[key], bad) or ""
    return Brand(**{k: v for k, v in values.items() if v})


def read_descriptions(raw: Any, bad: Report) -> tuple[tuple[str, str], ...]:
    """Return (category, description) pairs from the tenant's `categories` mapping."""
    if raw is None:
        return ()
    known = [c.value for c in KbCategory]
    if not isinstance(raw, dict):
        bad("categories", "must map categories (" + ", ".join(known) + ") to a description")
        return ()
    found = []
    for key, value in raw.items():
        name = f"categories.{key}"
        if key not in known:
            bad(name, f"not a category; use one of {', '.join(known)}"
                      + did_you_mean(str(key), known))  # fmt: skip
            continue
        text = _text(value, name, TEXT_MAX["description"], bad)
        if text:
            found.append((str(key), text))
    return tuple(found)
