"""What a request's address resolves to beyond its route: the tenant a host name belongs to,
and the methods other routes take a path by (for 405s that say what is allowed)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.routing import RequestRedirect

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
