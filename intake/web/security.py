"""Security headers on every response, and the client address behind trusted proxies."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# The service's own pages: scripts only from files, nothing framed, forms post to us.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The static site, when the service serves it: Pagefind's search runs WebAssembly and sets
# inline styles on its results; the chat widget shows pictures it fetched with the chat's
# token as blob: URLs; still no inline or foreign scripts.
SITE_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


HSTS_SECONDS = 365 * 24 * 3600  # browsers keep to HTTPS for a year; subdomains are not ours


def _headers(response: Response) -> Response:
    is_site = request.endpoint == "site.file"
    response.headers.setdefault("Content-Security-Policy", SITE_CSP if is_site else PAGE_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.status_code == 204:  # no body, so no type (Flask names text/html)
        response.headers.pop("Content-Type", None)
    response.headers["X-Frame-Options"] = "DENY"
    # Ticket pages carry their private token in the URL: never send it on to other sites.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:  # reached over TLS (a trusted proxy says so): never over HTTP again
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    if request.endpoint == "static":
        # Public files, the chat widget's among them, loaded by the tenants' sites elsewhere:
        # any page may read them (tools that read stylesheets, such as axe, need this).
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif not is_site:
        response.headers.setdefault("Cache-Control", "no-store")
    else:  # the site's files say their own; an answer without (a 404 outside any tenant) is
        response.headers.setdefault("Cache-Control", "no-cache")  # checked again each time
    return response


def init_security(app: Flask, trusted_proxies: int) -> None:
    """Add the headers to every response; trust X-Forwarded-For from that many proxies."""
    app.after_request(_headers)
    if trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies, x_host=trusted_proxies
        )
