"""The content schema: categories, front-matter fields of articles and FAQs, and their checks."""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from anyascii import anyascii

from kbgen.errors import Problem
from kbgen.yamlio import LoadedMapping


class KbCategory(enum.Enum):
    """kb_category from DESIGN.md; names equal values so databases store either safely."""

    getting_started = "getting_started"
    technical = "technical"
    billing = "billing"
    troubleshooting = "troubleshooting"
    api = "api"
    integration = "integration"
    general = "general"

    @property
    def label(self) -> str:
        """Return the human name shown in navigation."""
        return _CATEGORY_LABELS[self]

    @property
    def path(self) -> str:
        """Return the URL segment of the category's page."""
        return self.value.replace("_", "-")


_CATEGORY_LABELS = {
    KbCategory.getting_started: "Getting started",
    KbCategory.technical: "Technical",
    KbCategory.billing: "Billing",
    KbCategory.troubleshooting: "Troubleshooting",
    KbCategory.api: "API",
    KbCategory.integration: "Integrations",
    KbCategory.general: "General",
}

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 100
MAX_TITLE = 200
MAX_SUMMARY = 500


@lru_cache(maxsize=65_536)  # pure, and asked again for every tag and title of every build
def slugify(text: str) -> str:
    """Turn text into a URL slug: lowercase ASCII letters and digits joined by hyphens, other
    scripts transliterated ("Überweisung" -> "uberweisung")."""
    words = re.findall(r"[a-z0-9]+", anyascii(text).lower())
    return "-".join(words)[:120].strip("-")


class Status(enum.Enum):
    published = "published"
    draft = "draft"


@dataclass(frozen=True)
class ArticleMeta:
    """Validated front-matter of an article."""

    title: str
    category: KbCategory
    slug: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    status: Status = Status.published
    published: dt.date | None = None
    updated: dt.date | None = None
    redirect_from: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    order: int = 0
    featured: bool = False


@dataclass(frozen=True)
class FaqMeta:
    """Validated front-matter of an FAQ; its body is the answer."""

    question: str
    category: KbCategory
    slug: str
    order: int = 0
    status: Status = Status.published


class _Invalid(ValueError):
    """A value failed its check; the message says what is allowed."""


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Invalid(f"must be text, got {_kind(value)}")
        text = str(value).strip()
        if not text:
            raise _Invalid("must not be empty")
        if len(text) > limit:
            raise _Invalid(f"is {len(text)} characters long; at most {limit} are allowed")
        return text

    return check


def _enum(kind: type[enum.Enum]) -> Callable[[Any], Any]:
    values = [m.value for m in kind]
    allowed = ", ".join(values)

    def check(value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            hint = did_you_mean(str(value), values)
            raise _Invalid(f"{value!r} is not one of: {allowed}{hint}") from None

    return check


def nearest(wrong: str, known: Iterable[str], cutoff: float = 0.75) -> str | None:
    """Return the known value nearest to `wrong` in any case and spacing ("Getting Started"
    finds getting_started), or None when none is as near as `cutoff` (difflib's ratio)."""
    by_key = {_loose(k): k for k in known}
    close = difflib.get_close_matches(_loose(wrong), by_key, n=1, cutoff=cutoff)
    return by_key[close[0]] if close else None


def did_you_mean(wrong: str, known: Iterable[str], what: str = "") -> str:
    """Return "; did you mean 'x'?" naming the known value nearest to `wrong` (written after
    `what`, inside the quotes: '#refunds'), or ""."""
    near = nearest(wrong, known)
    return f"; did you mean {what + near!r}?" if near else ""


def _loose(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().lower())


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    # Only the form the docs give: fromisoformat also reads 20260315 (and YAML's 2026_03_15,
    # a number) and week dates (2026-W11-1), which a writer meant as something else.
    try:
        if isinstance(value, str) and _DAY.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise _Invalid(f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-14")


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"must be a whole number, got {_kind(value)}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {_kind(value)}")
    return value


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise _Invalid(f"{value!r} is not a slug; use lowercase letters, digits and hyphens")
    if len(value) > MAX_SLUG:  # a page's folder: file systems stop at 255 bytes a name
        raise _Invalid(f"is {len(value)} characters; a slug may have at most {MAX_SLUG}")
    return value


def _list_of(item: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def check(value: Any) -> tuple[Any, ...]:
        single = isinstance(value, str)  # written without brackets: no item to number
        if single:
            value = [value]
        if not isinstance(value, list):
            raise _Invalid(f"must be a list (or one word), got {_kind(value)}")
        out: dict[Any, None] = {}  # a value given twice (`[Billing, billing]`) counts once
        wrong: list[str] = []  # every item at fault at once, not one a run
        for i, element in enumerate(value, 1):
            try:
                out[item(element)] = None
            except _Invalid as exc:
                wrong.append(str(exc) if single else f"item {i}: {exc}")
        if wrong:
            raise _Invalid("; ".join(wrong))
        return tuple(out)

    return check


def _site_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise _Invalid(
            f"{value!r} is not a site path; write one starting with /, e.g. /kb/old.html"
        )
    inner = value[1:].removesuffix("/").split("/")
    if any(part in ("", ".", "..") for part in inner):
        raise _Invalid(f"{value!r} holds an empty, . or .. part; write each folder once, "
                       "e.g. /kb/old.html")  # fmt: skip
    if any(len(part) > MAX_SLUG for part in inner):
        raise _Invalid(f"{value!r} has a part longer than {MAX_SLUG} characters")
    if "?" in value or "#" in value or "\\" in value:
        raise _Invalid(f"{value!r} may not contain ?, # or backslash")
    return value


def _tag(value: Any) -> str:
    tag = _text(40)(value).lower()
    if "," in tag:  # "tags: rate limit, api" is one string to YAML: it made one tag of both
        parts = ", ".join(part.strip() for part in tag.split(",") if part.strip())
        raise _Invalid(f"{value!r} holds a comma: write several tags as a list, [{parts}]")
    return tag


def _kind(value: Any) -> str:
    """Name what YAML read, in a writer's words: yes/no/on/off read as true or false, and a
    date or number as what it is, so the advice to quote it makes sense."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes, no, on and off so: quote the words)"
    if isinstance(value, dt.date | int | float):
        return f"{value} (a {type(value).__name__.replace('int', 'number')}: quote it)"
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


ARTICLE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "title": _text(MAX_TITLE),
    "category": _enum(KbCategory),
    "slug": _slug,
    "summary": _text(MAX_SUMMARY),
    "tags": _list_of(_tag),
    "status": _enum(Status),
    "published": _date,
    "updated": _date,
    "redirect_from": _list_of(_site_path),
    "related": _list_of(_slug),
    "order": _int,
    "featured": _bool,
}
ARTICLE_REQUIRED = ("title", "category")

FAQ_FIELDS: dict[str, Callable[[Any], Any]] = {
    "question": _text(MAX_TITLE),
    "category": _enum(KbCategory),
    "slug": _slug,
    "order": _int,
    "status": _enum(Status),
}
FAQ_REQUIRED = ("question", "category")

# A field of the other kind of document, or another tool's name for ours: what to write.
_FIELD_ALIASES = {"title": "question", "question": "title", "q": "question", "name": "title",
                  "categories": "category", "tag": "tags", "keywords": "tags",
                  "description": "summary", "date": "published", "draft": "status",
                  "aliases": "redirect_from", "weight": "order"}  # fmt: skip


def _near_field(key: str, fields: Collection[str]) -> str | None:
    """Return the field a writer most likely meant by an unknown `key`."""
    alias = _FIELD_ALIASES.get(key.lower())
    if alias in fields:
        return alias
    return next(iter(difflib.get_close_matches(key.lower(), fields, n=1)), None)


def _validate(
    raw: LoadedMapping,
    fields: dict[str, Callable[[Any], Any]],
    required: tuple[str, ...],
    path: str,
    header_line: int,
) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in raw.data.items():
        line = raw.line(key, header_line)
        check = fields.get(key)
        if check is None:
            near = _near_field(key, fields)
            hint = f"did you mean '{near}'? " if near else ""
            allowed = ", ".join(fields)
            problems.append(Problem(path, line, key, f"unknown field; {hint}allowed: {allowed}"))
            continue
        try:
            values[key] = check(value)
        except _Invalid as exc:
            problems.append(Problem(path, line, key, str(exc)))
    for key in required:
        if key not in raw.data:
            problems.append(Problem(path, header_line, key, "is required but missing"))
    return values, problems


def validate_article(
    raw: LoadedMapping, path: str, default_slug: str, header_line: int = 1
) -> tuple[ArticleMeta | None, list[Problem]]:
    """Check an article's front-matter; return its metadata, or None and every problem."""
    values, problems = _validate(raw, ARTICLE_FIELDS, ARTICLE_REQUIRED, path, header_line)
    published, updated = values.get("published"), values.get("updated")
    if published and updated and updated < published:
        msg = f"{updated} is before published ({published})"
        problems.append(Problem(path, raw.line("updated", header_line), "updated", msg))
    if problems:
        return None, problems
    values.setdefault("slug", default_slug)
    return ArticleMeta(**values), []


def validate_faq(
    raw: LoadedMapping, path: str, default_slug: str, header_line: int = 1
) -> tuple[FaqMeta | None, list[Problem]]:
    """Check an FAQ's front-matter; return its metadata, or None and every problem."""
    values, problems = _validate(raw, FAQ_FIELDS, FAQ_REQUIRED, path, header_line)
    if problems:
        return None, problems
    values.setdefault("slug", default_slug)
    return FaqMeta(**values), []
