"""Tenants: the first URL segment names one; views get it and its database scope from `g`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from intake.db import TenantScope
from intake.errors import NotFound
from intake.extensions import db
from kbgen.config import SiteConfig, TenantConfig


def site_config() -> SiteConfig:
    """Return site.yaml's configuration, loaded once by create_app()."""
    config: SiteConfig = current_app.extensions["intake_site"]
    return config


def tenant() -> TenantConfig:
    """Return the tenant of the current request."""
    value: TenantConfig = g.tenant
    return value


def scope() -> TenantScope:
    """Return the current request's tenant scope over the request's session."""
    if "scope" not in g:
        g.scope = TenantScope(db.session, tenant().id)
    value: TenantScope = g.scope
    return value


def tenant_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """Return a blueprint whose routes all start with <tenant> after `url_prefix`.

    An unknown tenant answers 404 before the view runs, exactly like a missing object.
    """
    bp = Blueprint(name, import_name, url_prefix=f"{url_prefix}/<tenant>")

    @bp.url_value_preprocessor
    def _pull(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        tenant_id = (values or {}).pop("tenant", "")
        known = {t.id: t for t in site_config().tenants}
        if tenant_id not in known:
            raise NotFound()
        g.tenant = known[tenant_id]

    @bp.url_defaults
    def _push(_endpoint: str, values: dict[str, Any]) -> None:
        if "tenant" not in values and "tenant" in g:
            values["tenant"] = g.tenant.id

    return bp
