"""The project's configuration: content/site.yaml and the build options, validated once."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from kbgen.brand import Brand, read_brand, read_descriptions
from kbgen.errors import ConfigError, ContentError, Problem
from kbgen.schema import did_you_mean, nearest
from kbgen.yamlio import load_mapping

SITE_FILE = "content/site.yaml"
TENANT_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# The ticket service's own first path segments (intake's routes; a test keeps the two alike):
# a tenant of one of these names would be served behind the service's pages.
RESERVED_TENANT_IDS = frozenset({"api", "chat", "desk", "healthz", "metrics", "readyz", "tickets"})
PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
TENANT_FIELDS = ("name", "base_url", "language", "ticket_prefix", "intake_url", "chat_url",
                 "brand", "categories")  # fmt: skip
SITE_FIELDS = ("default_tenant", "allow_html", "tenants")


@dataclass(frozen=True)
class TenantConfig:
    """One tenant's settings from site.yaml."""

    id: str
    name: str
    base_url: str
    language: str
    ticket_prefix: str
    intake_url: str = ""
    chat_url: str = ""
    brand: Brand = Brand()
    descriptions: tuple[tuple[str, str], ...] = ()  # (category, what it covers)

    def description(self, category: str) -> str:
        """Return what a category covers, as site.yaml says ("" when it says nothing)."""
        return dict(self.descriptions).get(category, "")

    @property
    def logo_url(self) -> str:
        """Return the logo's address on the site ("" without a logo)."""
        return self.base_path + quote(self.brand.logo) if self.brand.logo else ""

    @property
    def favicon_url(self) -> str:
        """Return the favicon's address on the site ("" without one)."""
        return self.base_path + quote(self.brand.favicon) if self.brand.favicon else ""

    @property
    def chat_base(self) -> str:
        """Return the chat service's URL without a trailing slash ("" for the site's own host)."""
        return self.chat_url.rstrip("/")

    @property
    def service_url(self) -> str | None:
        """Return where the intake service answers, from the ticket form's address: "" on the
        site's own host (a path), its origin when elsewhere, None without a service."""
        if not self.intake_url:
            return None
        parts = urlsplit(self.intake_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    @property
    def search_action(self) -> str:
        """Return where the site's search forms send a query without JavaScript: the service's
        search page (results from the Whoosh index) where there is a service, else the static
        search page (which then points to the categories and the FAQ)."""
        if self.service_url is None:
            return f"{self.base_path}search/"
        return f"{self.service_url}/{self.id}/tickets/search"

    @property
    def search_report_url(self) -> str:
        """Return where the static search reports what it saw ("" without a service)."""
        if self.service_url is None:
            return ""
        return f"{self.service_url}/api/v1/{self.id}/kb/searches"

    @functools.cached_property  # every URL of the site starts with it
    def base_path(self) -> str:
        """Return the URL path the site is served under, with a trailing slash."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    def absolute(self, url_path: str) -> str:
        """Return the absolute URL of a root-relative path of this site."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}{url_path}"


@dataclass(frozen=True)
class SiteConfig:
    """Every tenant plus the options shared by all."""

    tenants: tuple[TenantConfig, ...]
    default_tenant: str
    allow_html: bool = False

    def tenant(self, tenant_id: str) -> TenantConfig:
        """Return one tenant's settings or raise a ConfigError naming the known ones."""
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        known = ", ".join(t.id for t in self.tenants)
        raise ConfigError(f"unknown tenant {tenant_id!r}; {SITE_FILE} defines: {known}")


@dataclass(frozen=True)
class BuildOptions:
    """What one run of kbgen does, from the command line."""

    root: Path
    drafts: bool = False
    strict: bool = False
    tenants: tuple[str, ...] = ()
    quiet: bool = False
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"


def _check_url(value: Any, allow_empty: bool) -> str:
    text = "" if value is None else str(value).strip()
    if not text and allow_empty:
        return ""
    if any(c.isspace() or c in '"<>\\`' for c in text):  # it goes into pages and feeds as is
        raise ValueError(f'{text!r} holds a space or one of " < > \\ `: write it %-encoded')
    parts = urlsplit(text)
    if allow_empty and text.startswith("/") and not text.startswith("//"):
        return text  # a path on the same host, e.g. the intake service beside the site
    if parts.scheme not in ("http", "https") or not parts.netloc:
        kind = "an http(s) URL or a path starting with /" if allow_empty else "an http(s) URL"
        raise ValueError(f"{text!r} is not {kind}")
    return text


def _link_url(value: Any) -> str:
    """Return a link's address: an http(s) URL or a path on the site's host."""
    if value is None or not str(value).strip():
        raise ValueError("give the link's address: an http(s) URL or a path starting with /")
    return _check_url(value, True)


def _tenant(
    tid: str, raw: Any, lines: dict[str, int], problems: list[Problem], root: Path
) -> TenantConfig | None:
    def bad(fld: str, msg: str) -> None:
        name = f"tenants.{tid}.{fld}" if fld else f"tenants.{tid}"
        # The field's own line, else the nearest enclosing one (a list item has none).
        near = [name, name.rsplit("[", 1)[0], *(name.rsplit(".", n)[0] for n in range(1, 4))]
        line = next((lines[k] for k in near if k in lines), lines.get("tenants", 1))
        problems.append(Problem(SITE_FILE, line, name, msg))

    before = len(problems)
    if not TENANT_RE.match(tid):
        bad("id", "use lowercase letters, digits, - and _, starting with a letter")
    elif tid in RESERVED_TENANT_IDS:
        bad("id", f"/{tid}/ is the ticket service's own address; choose another id")
    if not isinstance(raw, dict):
        bad("", "must be a mapping of " + ", ".join(TENANT_FIELDS))
        return None
    misspelt: set[str] = set()  # the fields an unknown key most likely meant
    for key in raw:
        if key not in TENANT_FIELDS:
            near = nearest(str(key), TENANT_FIELDS)
            misspelt.add(near or "")
            hint = f"; did you mean {near!r}?" if near else f"; allowed: {', '.join(TENANT_FIELDS)}"
            bad(str(key), f"unknown field{hint}")
    values: dict[str, str] = {}
    for key in ("name", "language", "ticket_prefix"):
        values[key] = str(raw.get(key) or "").strip()
        if not values[key] and key not in misspelt:  # its misspelling is named already
            bad(key, "is required but missing")
    if values["language"] and not LANG_RE.match(values["language"]):
        bad("language", f"{values['language']!r} is not a language tag such as en or de-CH")
    if values["ticket_prefix"] and not PREFIX_RE.match(values["ticket_prefix"]):
        bad("ticket_prefix", "use 2-10 capital letters or digits, starting with a letter")
    for key, allow_empty in (("base_url", False), ("intake_url", True), ("chat_url", True)):
        if key in misspelt and key not in raw:  # its misspelling is named already
            values[key] = ""
            continue
        try:
            values[key] = _check_url(raw.get(key), allow_empty)
        except ValueError as exc:
            bad(key, str(exc))
    if "chat_url" in values and re.search(r"[?#]", values["chat_url"]):
        # the widget's paths (/_intake/static/…, /chat/…) are appended to it
        bad("chat_url", f"{values['chat_url']!r} has a query or fragment; give the service's URL")
    brand = read_brand(raw.get("brand"), root, tid, _link_url, bad)
    descriptions = read_descriptions(raw.get("categories"), bad)
    if len(problems) > before:
        return None
    return TenantConfig(id=tid, **values, brand=brand, descriptions=descriptions)


def load_site_config(root: Path) -> SiteConfig:
    """Read and validate content/site.yaml under `root`, reporting every problem at once."""
    path = root / SITE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; is {root} a help-center project?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    raw = load_mapping(text, SITE_FILE)
    problems = list(raw.problems)
    if problems and not raw.data:  # YAML it cannot read: nothing more is known, nor said
        raise ContentError(problems)
    for key in raw.data:
        if key not in SITE_FIELDS:
            hint = did_you_mean(str(key), SITE_FIELDS) or f"; allowed: {', '.join(SITE_FIELDS)}"
            problems.append(Problem(SITE_FILE, raw.line(key, 1), key, f"unknown{hint}"))
    tenants_raw = raw.data.get("tenants")
    tenants: list[TenantConfig] = []
    if not isinstance(tenants_raw, dict) or not tenants_raw:
        problems.append(
            Problem(SITE_FILE, raw.line("tenants", 1), "tenants", "define at least one")
        )
    else:
        for tid, body in tenants_raw.items():
            tenant = _tenant(str(tid), body, raw.lines, problems, root)
            if tenant:
                tenants.append(tenant)
    for key in ("ticket_prefix", "base_url"):  # each names one tenant
        owners: dict[str, str] = {}
        for tenant in tenants:
            value = getattr(tenant, key)
            if value in owners:
                line = raw.line(f"tenants.{tenant.id}.{key}", 1)
                problems.append(Problem(SITE_FILE, line, f"tenants.{tenant.id}.{key}",
                                        f"{value!r} is {owners[value]}'s too; each tenant needs"
                                        " its own"))  # fmt: skip
            owners.setdefault(value, tenant.id)
    default = str(raw.data.get("default_tenant") or (tenants[0].id if tenants else ""))
    # Against the tenants named, valid or not: a mistake inside one is reported once, there.
    named = {str(t) for t in tenants_raw} if isinstance(tenants_raw, dict) else set()
    if tenants and default not in named:
        line = raw.line("default_tenant", 1)
        problems.append(Problem(SITE_FILE, line, "default_tenant", f"{default!r} is not a tenant"))
    allow_html = raw.data.get("allow_html", False)
    if not isinstance(allow_html, bool):
        line = raw.line("allow_html", 1)
        problems.append(Problem(SITE_FILE, line, "allow_html", "must be true or false"))
    if problems:
        raise ContentError(problems)
    return SiteConfig(tuple(tenants), default, bool(allow_html))
