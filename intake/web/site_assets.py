"""The static site's theme files as the service links them: by the fingerprinted names of the
tenant's asset manifest (kbgen writes site/<tenant>/assets/manifest.json), which browsers may
keep for a year, and the cache lifetimes of the site's files when the service serves them."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from flask import Flask

from intake.state import state
from intake.web.tenancy import tenant
from kbgen.assets import MANIFEST, read_manifest

# A fingerprinted theme file ("assets/style.3f9a2c1b0d.css") never changes: a year, immutable.
FINGERPRINTED = re.compile(r"^[^/]+/assets/[^/]+\.[0-9a-f]{10}\.[a-z0-9]+$")  # <tenant>/assets/
IMMUTABLE = "public, max-age=31536000, immutable"
SITE_MAX_AGE = 60  # the site's pages and unfingerprinted files: a rebuild shows within a minute
WHOLE_MAX = 2 * 1024 * 1024  # a larger text file (a writer's data) is streamed as it is
# The site's files worth compressing (its pictures are compressed already, but for SVG).
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "application/xml", "text/xml", "text/plain",
                          "application/atom+xml", "image/svg+xml"})  # fmt: skip

_lock = threading.Lock()
_manifests: dict[Path, tuple[float, dict[str, str]]] = {}  # file -> (mtime, names)


def manifest(site_dir: Path) -> dict[str, str]:
    """Return a tenant site's manifest, read again only when the build replaced it."""
    path = site_dir / MANIFEST
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    with _lock:
        known = _manifests.get(path)
        if known is None or known[0] != mtime:
            known = (mtime, read_manifest(site_dir))
            _manifests[path] = known
        return known[1]


def site_asset(name: str) -> str:
    """Return the address of the current tenant's theme file `name` ("style.css"): its
    fingerprinted name where the site has a manifest, else the file itself."""
    current = tenant()
    names = manifest(state().config.site_dir / current.id)
    return f"{current.base_path}assets/{names.get(name, name)}"


def cache_control(path: str) -> str:
    """Return the Cache-Control of a file of the site served at `path` (relative to site/)."""
    return IMMUTABLE if FINGERPRINTED.search(path) else f"public, max-age={SITE_MAX_AGE}"


def init_app(app: Flask) -> None:
    """Give templates site_asset("style.css")."""
    app.jinja_env.globals["site_asset"] = site_asset
