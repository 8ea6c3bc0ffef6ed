"""What a request's address resolves to beyond its route: the tenant a host name belongs to,
the methods other routes take a path by (for 405s that say what is allowed), whether the
static site has the path, and what its view was marked with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.routing import RequestRedirect
from werkzeug.security import safe_join

from intake.state import state
from kbgen.config import TenantConfig


def tenant_for_host(host: str) -> TenantConfig:
    """Return the tenant whose base_url has this host name, else the default tenant."""
    site = state().site
    name = host.split(":", 1)[0].lower()
    for tenant in site.tenants:
        if urlsplit(tenant.base_url).hostname == name:
            return tenant
    return site.tenant(site.default_tenant)


View = TypeVar("View", bound=Callable[..., Any])


def mark_view(view: View, mark: str) -> View:
    """Return `view` marked with `mark`, which view_marked reads for a request (the marks are
    decorators' of the faces: accepts_files, json_errors)."""
    setattr(view, mark, True)
    return view


def view_marked(mark: str) -> bool:
    """Say whether the view the current request goes to was marked with `mark`."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, mark, False))


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def methods_of(path: str) -> list[str]:
    """Return the methods a route other than the static site's catch-all takes `path` by."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    found = []
    for method in METHODS:
        try:
            endpoint, _args = adapter.match(path, method=method)
        except (HttpNotFound, MethodNotAllowed, RequestRedirect):
            continue
        if endpoint != "site.file":
            found.append(method)
    return found


def site_serves(path: str) -> bool:
    """Say whether the static site has a page or file at `path` (a URL path)."""
    config = state().config
    joined = safe_join(str(config.site_dir), path.lstrip("/")) if config.serve_site else None
    if joined is None:
        return False
    target = Path(joined)
    return target.is_file() or (target / "index.html").is_file()
