"""A local preview server for the built sites (not for production: use any static host)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path
from typing import Any

from kbgen.config import SiteConfig


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serve site/; send / to the default tenant and unknown paths to the tenant's 404 page."""

    def __init__(self, *args: Any, site_dir: Path, home: str, **kwargs: Any) -> None:
        self.site_dir = site_dir
        self.home = home
        super().__init__(*args, directory=str(site_dir), **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        if self.path in ("", "/"):
            self.send_response(302)
            self.send_header("Location", self.home)
            self.end_headers()
            return
        if not Path(self.translate_path(self.path)).exists():
            tenant = self.path.lstrip("/").split("/", 1)[0]
            page = self.site_dir / tenant / "404.html"
            if tenant and page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: a preview server's access log drowns the build's messages."""


def make_server(
    config: SiteConfig, site_dir: Path, host: str, port: int
) -> http.server.ThreadingHTTPServer:
    """Return a server for `site_dir`; the caller runs serve_forever()."""
    home = config.tenant(config.default_tenant).base_path
    handler = functools.partial(PreviewHandler, site_dir=site_dir, home=home)
    return http.server.ThreadingHTTPServer((host, port), handler)
