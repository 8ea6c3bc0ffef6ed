"""What every face of the service shares over HTTP: tenants in URLs, errors, security
headers, the template context, uploads, and its own routes (health, readiness, metrics, the
static site)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

from intake.web import (
    context,
    error_handlers,
    json,
    limits,
    operations,
    site,
    site_assets,
    tenancy,
)
from intake.web.security import init_security


def init_app(app: Flask, trusted_proxies: int) -> None:
    """Register the shared handlers and the site's routes."""
    tenancy.init_app(app)
    error_handlers.init_app(app)
    context.init_app(app)
    site_assets.init_app(app)
    init_security(app, trusted_proxies)
    # First of all hooks: CSRF protection (registered earlier) reads the form it checks.
    app.before_request_funcs.setdefault(None, []).insert(0, limits.limit_body)
    app.json = json.StrictJSONProvider(app)
    operations.init_app(app)  # before the site: its catch-all route comes last
    app.register_blueprint(site.bp)
    # The static site's text files are compressed (as one body: Flask-Compress's streaming
    # leaves a sent file open). The service's own pages are not: a page that holds a secret
    # (a CSRF or ticket token) beside text a request chose would let its compressed length
    # tell the secret (BREACH).
    app.config["COMPRESS_STREAMS"] = False
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress(app)

    @app.after_request
    def _compress_site_files(response: Response) -> Response:
        if request.endpoint == "site.file":
            return compress.after_request(response)
        return response
