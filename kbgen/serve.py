"""`kbgen serve`: build, serve on loopback, rebuild on every change, and reload open tabs.

A preview for writers, not a production server: any static host serves the built site.
"""

from __future__ import annotations

import errno
import functools
import html
import http.server
import json
import logging
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from kbgen.build import BuildState, Checked, build
from kbgen.config import BuildOptions, SiteConfig, load_site_config
from kbgen.errors import ContentError, KbgenError
from kbgen.load import editor_leftover
from kbgen.staging import warm_up

log = logging.getLogger(__name__)
RELOAD_JS = "/__kbgen/reload.js"
EVENTS = "/__kbgen/events"
DEBOUNCE_SECONDS = 0.15
KEEPALIVE_SECONDS = 10.0

_RELOAD_SCRIPT = b"""(function () {
  "use strict";
  // The build this page came from: a rebuild before the stream connects still reloads it.
  var served = document.querySelector('meta[name="kbgen-generation"]');
  var generation = served ? Number(served.content) : null;
  var source = new EventSource("/__kbgen/events");
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (generation !== null && state.generation !== generation) { location.reload(); return; }
    generation = state.generation;
    if (document.getElementById("kbgen-problems")) return;  // the error page lists them
    var box = document.getElementById("kbgen-error");
    if (!state.error) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "kbgen-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;" +
        "margin:0;padding:1em;background:#7f1d1d;color:#fff;z-index:9999;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "kbgen: the last change has problems; this is the last good build.\\n\\n" +
      state.error;
  };
})();
"""


class LiveSite:
    """The state the browser follows: a generation that moves on every rebuild, and the error."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        # Memory between rebuilds, and Pagefind after the swap: the tab reloads sooner.
        self.state = BuildState(defer_pagefind=True)
        self.generation = 0
        self.error: str | None = None
        self.changed = threading.Condition()
        self.stopped = False

    def rebuild(self) -> None:
        """Build once; keep the last good site and record the problems if the content is bad."""
        started = time.perf_counter()
        checked: list[Checked] = []
        try:
            checked = build(self.options, self.state)
            error = None
            log.info("rebuilt in %.2f s", time.perf_counter() - started)
        except ContentError as exc:
            error = "\n".join(str(p) for p in exc.problems)
            log.error("%s\nkbgen: %s", error, self._kept())
        except KbgenError as exc:
            error = str(exc)
            log.error("kbgen: %s", exc)
        except Exception as exc:  # noqa: BLE001 (a preview outlives any one failed build)
            # An unforeseen failure (a file vanishing mid-build, a full disk) is shown like a
            # writer's mistake; the next save builds afresh, without this build's memory.
            error = f"{type(exc).__name__}: {exc}"
            log.exception("kbgen: the build failed; %s", self._kept())
            self.state = BuildState(defer_pagefind=True)
        with self.changed:
            self.generation += 1
            self.error = error
            self.changed.notify_all()
        if error is None and self.state.behind:
            started = time.perf_counter()
            try:
                self.state.catch_up()
                log.info("search index caught up in %.2f s", time.perf_counter() - started)
            except KbgenError as exc:
                log.error("kbgen: %s", exc)
            except Exception:  # noqa: BLE001 (the search lags; the next save catches up)
                log.exception("kbgen: the search index did not catch up")
        if checked:
            try:
                warm_up(checked, self.options, self.state)
            except Exception:  # noqa: BLE001 (only a head start for the next edit)
                log.exception("kbgen: warming up for the next edit failed")

    def _kept(self) -> str:
        """Say what the preview shows while the content is bad."""
        site = self.options.site_dir
        if site.is_dir() and any(site.iterdir()):
            return "the last good site stays served"
        return "there is no good build yet: the preview shows these problems until one builds"

    def snapshot(self) -> bytes:
        return json.dumps({"generation": self.generation, "error": self.error}).encode()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()


class _Changes(FileSystemEventHandler):
    """Collect file events; a watcher thread rebuilds once they settle."""

    def __init__(self) -> None:
        self.pending = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        name = Path(str(event.src_path)).name
        if event.event_type in ("opened", "closed_no_write") or name.startswith(".#"):
            return
        if editor_leftover(name) or name.endswith((".swp", ".swx", ".tmp")):  # no part of it
            return
        self.pending.set()


class _Appearing(FileSystemEventHandler):
    """Watch a folder from the moment it is made or moved in, and rebuild then."""

    def __init__(self, observer: Any, folder: Path, changes: _Changes) -> None:
        self.observer, self.folder, self.changes = observer, folder, changes
        self.watched = False

    def on_any_event(self, event: FileSystemEvent) -> None:
        made = str(event.dest_path if event.event_type == "moved" else event.src_path)
        if self.watched or Path(made) != self.folder or not self.folder.is_dir():
            return
        self.watched = True
        self.observer.schedule(self.changes, str(self.folder), recursive=True)
        self.changes.pending.set()  # what was written into it before the watch began


def watched(options: BuildOptions) -> list[Path]:
    """Return the folders whose changes rebuild the preview: the content and the project's
    templates (watched from when it is made, if it is not there yet)."""
    return [options.content_dir, options.root / "templates"]


def watch(live: LiveSite, folders: list[Path]) -> Any:
    """Start watching `folders`; rebuild on changes until live.stop(). Return the observer."""
    changes = _Changes()
    observer = Observer()
    for folder in folders:
        if folder.is_dir():
            observer.schedule(changes, str(folder), recursive=True)
        elif folder.parent.is_dir():  # a writer's templates/, made once the preview runs
            observer.schedule(_Appearing(observer, folder, changes), str(folder.parent))
    observer.start()

    def loop() -> None:
        while not live.stopped:
            if not changes.pending.wait(timeout=0.5):
                continue
            time.sleep(DEBOUNCE_SECONDS)  # an editor's save is often several events
            changes.pending.clear()
            live.rebuild()

    threading.Thread(target=loop, name="kbgen-rebuild", daemon=True).start()
    return observer


_NO_INTAKE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>This page is the intake service's</title></head>
<body><main><h1>This page is the intake service's</h1>
<p>"Contact support" opens the ticket form of the intake service, and without JavaScript the
search boxes search through it; <code>kbgen serve</code> does not run it. <code>make run</code>
serves this site and the service together; or start <code>intake serve</code> and preview with
<code>kbgen serve --intake http://127.0.0.1:PORT</code>, which sends these links to it.</p>
<p><a href="/">Back to the help center</a></p></main></body></html>
"""


_PROBLEMS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kbgen: the site could not be built</title></head>
<body><main><h1>The site could not be built</h1>
<p>There is no good build of this site to show yet. Fix these problems and save: this page
reloads by itself once the site builds.</p>
<pre id="kbgen-problems">{problems}</pre></main></body></html>
"""


def with_reload(page: bytes, generation: int) -> bytes:
    """Add the reload script to an HTML page, and the generation of the build it shows."""
    meta = f'<meta name="kbgen-generation" content="{generation}"></head>'.encode()
    script = f'<script src="{RELOAD_JS}"></script></body>'.encode()
    return page.replace(b"</head>", meta, 1).replace(b"</body>", script, 1)


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serve site/; send / to the default tenant and unknown paths to the tenant's 404 page
    (the default tenant's where the path names no tenant).

    With a LiveSite, HTML pages get the reload script and /__kbgen/events streams rebuilds;
    while the content has problems and there is no page to show (no good build yet), every
    path answers with the problems, and the page reloads once a rebuild succeeds.
    The tenants' ticket-form links (a site-relative intake_url) go to the intake service at
    `intake` when given; otherwise they get a page saying how to see the form.
    """

    def __init__(self, *args: Any, site_dir: Path, home: str, live: LiveSite | None,
                 forms: frozenset[str], intake: str, mounts: tuple[tuple[str, str], ...],
                 default: str, **kw: Any):  # fmt: skip
        self.site_dir, self.home, self.live = site_dir, home, live
        self.forms, self.intake, self.mounts, self.default = forms, intake, mounts, default
        super().__init__(*args, directory=str(site_dir), **kw)

    def _tenant_of(self, path: str) -> tuple[str, str] | None:
        """Return the tenant whose base path `path` lies under, and the rest of the path."""
        for base, tenant in self.mounts:
            if path.startswith(base) or path + "/" == base:
                return tenant, path[len(base) :]
        return None

    def translate_path(self, path: str) -> str:
        # Each tenant at its base_url's path, as its pages' links expect ("/" or "/docs/"
        # as well as "/eur/"), from its folder site/<tenant>/.
        found = self._tenant_of(urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0]))
        if found is None:
            return super().translate_path(path)
        tenant, rest = found
        return super().translate_path(f"/{urllib.parse.quote(tenant)}/{urllib.parse.quote(rest)}")

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        path = self.path.split("?", 1)[0]
        if path in ("", "/") and self.home != "/":
            self._redirect(self.home)
        elif path in self.forms and self.intake:
            self._redirect(self.intake + self.path)
        elif path in self.forms:
            self._send(200, "text/html; charset=utf-8", _NO_INTAKE_PAGE.encode())
        elif self.live and path == RELOAD_JS:
            self._send(200, "text/javascript; charset=utf-8", _RELOAD_SCRIPT)
        elif self.live and path == EVENTS:
            self._events(self.live)
        else:
            self._file(path)

    def _file(self, path: str) -> None:
        generation, error = 0, None
        if self.live:
            with self.live.changed:  # read before the file: a newer page only reloads once more
                generation, error = self.live.generation, self.live.error
        target = Path(self.translate_path(path))
        if target.is_dir():
            if not path.endswith("/"):
                super().do_GET()  # the standard redirect to the slash-terminated URL
                return
            target = target / "index.html"
        status = 200
        if not target.is_file():
            # The tenant's own 404 page, or the default tenant's for a path of no tenant.
            found = self._tenant_of(path)
            tenant = found[0] if found else ""
            target = self.site_dir / tenant / "404.html"
            status = 404
            if not tenant or not target.is_file():
                target = self.site_dir / self.default / "404.html"
            if not target.is_file() and error is not None:
                # Unavailable until the content builds, rather than missing: 503, not 404.
                page = _PROBLEMS_PAGE.format(problems=html.escape(error, quote=False))
                body = with_reload(page.encode(), generation)
                self._send(503, "text/html; charset=utf-8", body)
                return
            if not target.is_file():
                self.send_error(404)
                return
        body = target.read_bytes()
        ctype = self.guess_type(str(target))
        if self.live and ctype == "text/html":
            body = with_reload(body, generation)
        self._send(status, ctype, body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def _events(self, live: LiveSite) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        seen = -1
        try:
            while not live.stopped:
                with live.changed:
                    if live.generation == seen:
                        live.changed.wait(timeout=KEEPALIVE_SECONDS)
                    seen, state = live.generation, live.snapshot()
                self.wfile.write(b"data: " + state + b"\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: a preview server's access log drowns the build's messages."""


class PreviewServer(http.server.ThreadingHTTPServer):
    """The preview's server: a reader who leaves before a page is sent is no error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # broken pipe, reset by the peer
            return
        super().handle_error(request, client_address)


def make_server(
    config: SiteConfig, site_dir: Path, host: str, port: int, live: LiveSite | None = None,
    intake: str = "",
) -> http.server.ThreadingHTTPServer:  # fmt: skip
    """Return a server for `site_dir`; the caller runs serve_forever(). `intake` is the
    address of an intake service that takes the ticket-form links (else they are explained)."""
    home = config.tenant(config.default_tenant).base_path
    # The longest base path first: "/eur/help/" before "/eur/"; the default tenant first of
    # tenants sharing one (on different hosts): a preview has one host.
    tenants = sorted(config.tenants, key=lambda t: t.id != config.default_tenant)
    mounts = tuple(sorted(((t.base_path, t.id) for t in tenants), key=lambda m: -len(m[0])))
    # The service's pages on the site's host: the ticket form, and the search that the site's
    # search boxes reach without JavaScript.
    forms = frozenset(url for t in config.tenants if t.service_url == ""
                      for url in (t.intake_url, t.search_action))  # fmt: skip
    handler = functools.partial(PreviewHandler, site_dir=site_dir, home=home, live=live,
                                forms=forms, intake=intake.rstrip("/"), mounts=mounts,
                                default=config.default_tenant)  # fmt: skip
    return PreviewServer((host, port), handler)


def serve(
    options: BuildOptions, host: str, port: int, announce: Callable[[str], None] = log.warning,
    intake: str = "",
) -> None:  # fmt: skip
    """Build, serve and rebuild on change until interrupted; content errors never stop it."""
    config = load_site_config(options.root)
    live = LiveSite(options)
    try:  # first: a port in use is said before a build, not after
        server = make_server(config, options.site_dir, host, port, live, intake)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise KbgenError(f"port {port} of {host} is in use: stop what serves there, or"
                             " choose another with --port") from None  # fmt: skip
        raise
    live.rebuild()
    observer = watch(live, watched(options))
    with server:
        announce(f"Serving on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            live.stop()
            observer.stop()
            observer.join(timeout=5)
