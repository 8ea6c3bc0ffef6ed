"""The static help center beside the service (for `make run`; production puts a CDN there),
and tenant-less links resolved by host name."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, request, send_from_directory
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from intake.config import IntakeConfig
from intake.state import state
from intake.web.routing import methods_of, tenant_for_host
from intake.web.site_assets import COMPRESSIBLE, SITE_MAX_AGE, WHOLE_MAX, cache_control

bp = Blueprint("site", __name__)


class SitePath(PathConverter):
    """A path of the static site: never one under /api/. The API answers its own unknown
    paths and methods; a catch-all GET there made OPTIONS list GET on POST-only calls and
    answer 200 for calls that do not exist."""

    regex = r"(?!api/)[^/].*?"


@bp.record_once
def _site_paths(setup: BlueprintSetupState) -> None:
    setup.app.url_map.converters["site_path"] = SitePath


def _config() -> IntakeConfig:
    return state().config


@bp.route("/tickets/new", methods=["GET"])
def new_by_host() -> Any:
    """Send /tickets/new to the form of the tenant this host name belongs to."""
    return redirect(f"/{tenant_for_host(request.host).id}/tickets/new", 302)


@bp.route("/favicon.ico", methods=["GET"])
def favicon() -> Any:
    """Send a browser's guess at the host's icon to its tenant's favicon (site.yaml's brand)."""
    icon = tenant_for_host(request.host).favicon_url
    if not icon or not _config().serve_site:
        raise HttpNotFound()
    return redirect(icon, 302)


@bp.route("/robots.txt", methods=["GET"])
def robots() -> Any:
    """The host's robots.txt, which crawlers read at the root only (each site's own is under
    its base path): the sitemaps of the tenants on this host, the service's pages kept out."""
    if not _config().serve_site:
        raise HttpNotFound()
    host = request.host.split(":", 1)[0].lower()
    here = [t for t in state().site.tenants if urlsplit(t.base_url).hostname == host]
    tenants = here or list(state().site.tenants)  # a host of no tenant's serves them all
    lines = ["User-agent: *", "Disallow: /desk/", "Disallow: /api/", "Disallow: /chat/",
             *(f"Disallow: {t.base_path}tickets/" for t in tenants),
             *(f"Sitemap: {t.absolute(t.base_path + 'sitemap.xml')}" for t in tenants)]  # fmt: skip
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={SITE_MAX_AGE}"
    return response


@bp.route("/", methods=["GET"])
def home() -> Any:
    """Send the bare address to the host's (or the default) tenant's help center."""
    if not _config().serve_site:
        raise HttpNotFound()
    return redirect(tenant_for_host(request.host).base_path, 302)


@bp.route("/<site_path:path>", methods=["GET"])
def file(path: str) -> Any:
    """Serve a file of the built site; folders serve their index.html."""
    _refuse_other_methods()
    config = _config()
    if not config.serve_site:
        raise HttpNotFound()
    # Joined safely before the disk is asked anything: `..` must not probe outside the site.
    joined = safe_join(str(config.site_dir), path)
    if joined is None:
        raise HttpNotFound()
    target = Path(joined)
    path = target.relative_to(config.site_dir).as_posix()
    if target.is_dir():
        if not (target / "index.html").is_file():  # a folder with no page (articles/)
            return _site_404(config.site_dir, path)
        if not request.path.endswith("/"):
            return redirect(request.path + "/", 301)
        path = path.rstrip("/") + "/index.html"
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    target = config.site_dir / path  # a folder's index.html
    if mimetype in COMPRESSIBLE and target.is_file() and target.stat().st_size <= WHOLE_MAX:
        # The site's text files are small: read whole, they are compressed as one body (as a
        # stream, the open file would outlive the answer) and validated by their ETag.
        response = Response(target.read_bytes(), mimetype=mimetype)
        response.add_etag()
        response.make_conditional(request)
    else:
        try:
            response = send_from_directory(config.site_dir, path)
        except HttpNotFound:
            return _site_404(config.site_dir, path)
    response.headers["Cache-Control"] = cache_control(path)
    return response


def _site_404(site_dir: Path, path: str) -> Any:
    page = site_dir / path.split("/", 1)[0] / "404.html"
    if "/" in path and page.is_file():
        response = Response(page.read_bytes(), status=404, mimetype="text/html")
        response.headers["Cache-Control"] = f"public, max-age={SITE_MAX_AGE}"  # as the pages
        return response
    raise HttpNotFound()


def _refuse_other_methods() -> None:
    """Answer 405 (with Allow) for a path that a route serves by other methods only.

    The catch-all GET route would otherwise answer GET on a POST-only path of the API.
    """
    others = methods_of(request.path)
    if others:
        raise MethodNotAllowed(valid_methods=[*others, "OPTIONS"])
