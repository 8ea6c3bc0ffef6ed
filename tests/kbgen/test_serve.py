"""The serve loop: a change is rebuilt and shown; a writer's error is shown, never fatal."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kbgen import serve as serve_module
from kbgen.build import build
from kbgen.config import BuildOptions, load_site_config
from kbgen.serve import LiveSite, make_server, watch, watched
from tests.conftest import Project
from tests.kbgen.test_incremental import pagefind_text

WAIT_SECONDS = 15.0


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def until(check: Callable[[], Any], what: str) -> Any:
    """Poll `check` until it returns something truthy, for at most WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def serving(project: Project) -> Iterator[tuple[str, LiveSite]]:
    """Build, watch and serve `project` on loopback as `kbgen serve` does; yield its address."""
    options = BuildOptions(root=project.root, quiet=True)
    live = LiveSite(options)
    live.rebuild()
    observer = watch(live, watched(options))
    server = make_server(load_site_config(project.root), options.site_dir, "127.0.0.1", 0, live)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", live
    finally:
        live.stop()
        observer.stop()
        observer.join(timeout=5)
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(project: Project) -> Iterator[tuple[Project, str, LiveSite]]:
    with serving(project) as (url, live):
        yield project, url, live


def next_event(events: Any) -> dict[str, Any]:
    """Read the next state from an open events stream (its socket timeout bounds the wait)."""
    line = b""
    while not line.startswith(b"data: "):
        line = events.readline()
        assert line, "the events stream ended"
    state: dict[str, Any] = json.loads(line.decode().removeprefix("data: "))
    return state


def test_a_preview_started_on_a_built_site_warms_up_then_patches_it_right(
    project: Project,
) -> None:
    """Started on a site built before, every tenant is unchanged; the preview then lists its
    trees (and compiles, and counts words) ahead of the first edit, whose patch removes just
    what no build makes any more."""
    project.article("start/extra.md", "title: Extra\ncategory: getting_started")
    project.write("content/eur/templates/notes.bin", b"\xff\xfe\x00")  # no template: no harm
    options = BuildOptions(root=project.root, quiet=True)
    build(options)
    stray = project.root / "site/eur/articles/stray/index.html"  # no build makes it
    stray.parent.mkdir()
    stray.write_text("stray")
    live = LiveSite(options)
    live.rebuild()
    assert options.site_dir / "eur" in live.state.left
    (project.root / "content/eur/articles/start/extra.md").unlink()
    live.rebuild()
    assert live.error is None
    assert not (project.root / "site/eur/articles/extra").exists()
    assert not stray.parent.exists()
    assert (project.root / "site/eur/articles/welcome/index.html").exists()
    assert pagefind_text(project.root, "eur")  # the index folders were never listed as stale


def test_an_unforeseen_failure_is_shown_and_the_next_save_builds(
    project: Project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveSite(BuildOptions(root=project.root))
    live.rebuild()
    start = live.generation

    def failing(*_args: object) -> list[object]:
        raise FileNotFoundError(2, "No such file or directory", "content/eur/images/gone.svg")

    monkeypatch.setattr(serve_module, "build", failing)
    with caplog.at_level(logging.ERROR, logger="kbgen.serve"):
        live.rebuild()  # in the watcher's thread, an exception here ended every later rebuild
    assert live.generation == start + 1
    assert live.error is not None and "gone.svg" in live.error
    monkeypatch.undo()
    project.article("start/welcome.md", "title: Fixed\ncategory: general")
    live.rebuild()
    assert live.error is None
    assert "Fixed" in (project.root / "site/eur/articles/welcome/index.html").read_text()


def test_pages_carry_the_reload_script_and_root_goes_home(served: Any) -> None:
    _, url, _ = served
    status, body = get(f"{url}/")
    assert status == 200 and "<h1>How can we help?</h1>" in body
    assert '<script src="/__kbgen/reload.js"></script></body>' in body
    assert get(f"{url}/__kbgen/reload.js")[0] == 200
    status, body = get(f"{url}/eur/articles/nope/")
    assert status == 404 and "find that page" in body
    status, body = get(f"{url}/nowhere/")  # no such tenant: the default tenant's page
    assert status == 404 and "find that page" in body and 'href="/eur/' in body


def test_a_change_is_rebuilt_and_announced(served: Any) -> None:
    project, url, live = served
    events = urllib.request.urlopen(f"{url}/__kbgen/events", timeout=WAIT_SECONDS)
    first = json.loads(events.readline().decode().removeprefix("data: "))
    assert first == {"generation": live.generation, "error": None}
    project.article("start/welcome.md", "title: Welcome aboard\ncategory: getting_started")
    until(lambda: "Welcome aboard" in get(f"{url}/eur/articles/welcome/")[1], "the rebuild")
    events.readline()  # the blank line that ends the first event
    second = json.loads(events.readline().decode().removeprefix("data: "))
    assert second["generation"] > first["generation"]
    events.close()
    # The site is swapped in first; its Pagefind index follows moments later.
    until(lambda: "Welcome aboard" in pagefind_text(project.root, "eur"), "the search index")


def test_a_writers_error_is_shown_and_the_server_keeps_going(served: Any) -> None:
    project, url, live = served
    start = live.generation
    project.article("start/welcome.md", "title: Broken\ncategory: nope")
    until(lambda: live.generation > start and live.error, "the failed rebuild")
    assert "content/eur/articles/start/welcome.md:3: category: 'nope' is not one of" in live.error
    status, body = get(f"{url}/eur/articles/welcome/")
    assert status == 200 and "<h1>Welcome</h1>" in body  # the last good site
    project.article("start/welcome.md", "title: Fixed\ncategory: general")
    until(lambda: live.error is None and "Fixed" in get(f"{url}/eur/articles/welcome/")[1], "fix")


def test_started_on_broken_content_it_shows_the_problems_and_recovers(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    """With no good build to show, every path is the error page, which reloads once fixed."""
    project.article("start/welcome.md", "title: Broken\ncategory: nope")
    with caplog.at_level(logging.ERROR, logger="kbgen.serve"), serving(project) as (url, live):
        assert live.error and not (project.root / "site").exists()
        # Not "the last good site stays served": there is none.
        assert "kbgen: there is no good build yet: the preview shows these problems" in caplog.text
        problem = "content/eur/articles/start/welcome.md:3: category: 'nope' is not one of"
        for path in ("/", "/eur/articles/welcome/", "/km/", "/nowhere/", "/eur/style.css"):
            status, body = get(url + path)
            assert status == 503 and problem in body, path
            assert '<script src="/__kbgen/reload.js"></script></body>' in body
        generation = int(re.findall(r'name="kbgen-generation" content="(\d+)"', body)[0])
        events = urllib.request.urlopen(f"{url}/__kbgen/events", timeout=WAIT_SECONDS)
        first = next_event(events)
        # The page's generation is the stream's, so the script waits for the next one.
        assert first["generation"] == generation and problem in first["error"]
        project.article("start/welcome.md", "title: Welcome back\ncategory: getting_started")
        fixed = next_event(events)
        events.close()
        assert fixed["generation"] > generation and fixed["error"] is None
        status, body = get(f"{url}/eur/articles/welcome/")
        assert status == 200 and "<h1>Welcome back</h1>" in body
        served = int(re.findall(r'name="kbgen-generation" content="(\d+)"', body)[0])
        assert served >= fixed["generation"]
        status, body = get(f"{url}/eur/articles/nope/")
        assert status == 404 and "find that page" in body  # the tenant's own 404 again


def test_a_templates_folder_made_while_the_preview_runs_is_watched(served: Any) -> None:
    project, url, live = served
    assert not (project.root / "templates").exists()
    start = live.generation
    page = '{% extends "base.html" %}{% block main %}<h1>Lost, version {}</h1>{% endblock %}'
    project.write("templates/site/404.html", page.replace("{}", "1"))
    until(lambda: "Lost, version 1" in get(f"{url}/eur/nope/")[1], "the new template served")
    assert live.generation > start
    project.write("templates/site/404.html", page.replace("{}", "2"))  # and later edits
    until(lambda: "Lost, version 2" in get(f"{url}/eur/nope/")[1], "the edited template served")


def test_a_broken_template_is_reported_not_fatal(served: Any) -> None:
    project, url, live = served
    start = live.generation
    project.write("content/eur/templates/article.html", "{% extends 'base.html' %}{% block main %")
    until(lambda: live.generation > start and live.error, "the failed rebuild")
    assert "content/eur/templates/article.html:1: template:" in live.error
    assert get(f"{url}/eur/articles/welcome/")[0] == 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any) -> None:
        return None


def test_contact_support_leads_to_the_form_or_says_how(project: Project) -> None:
    site_yaml = project.root / "content" / "site.yaml"  # the service serves the site too
    site_yaml.write_text(site_yaml.read_text().replace("https://desk.test/eur/", "/eur/"))
    config = load_site_config(project.root)
    contact = config.tenant("eur").intake_url
    assert contact == "/eur/tickets/new"
    options = BuildOptions(root=project.root, quiet=True)
    LiveSite(options).rebuild()
    plain = make_server(config, options.site_dir, "127.0.0.1", 0)
    forwarding = make_server(config, options.site_dir, "127.0.0.1", 0,
                             intake="http://127.0.0.1:8123/")  # fmt: skip
    for server in (plain, forwarding):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body = get(f"http://127.0.0.1:{plain.server_address[1]}{contact}")
        assert status == 200 and "kbgen serve --intake" in body and "make run" in body
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(f"http://127.0.0.1:{forwarding.server_address[1]}{contact}?x=1", timeout=5)
        moved.value.close()
        assert moved.value.code == 302
        assert moved.value.headers["Location"] == f"http://127.0.0.1:8123{contact}?x=1"
        search = "/eur/tickets/search?q=refund"  # the search boxes' answer without JavaScript
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(f"http://127.0.0.1:{forwarding.server_address[1]}{search}", timeout=5)
        moved.value.close()
        assert moved.value.headers["Location"] == f"http://127.0.0.1:8123{search}"
    finally:
        for server in (plain, forwarding):
            server.shutdown()
            server.server_close()


def test_serve_refuses_an_intake_that_is_no_address(capsys: pytest.CaptureFixture[str]) -> None:
    from kbgen.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--intake", "127.0.0.1:8000"])
    said = capsys.readouterr().err
    assert "--intake: '127.0.0.1:8000' is not an http:// or https:// address" in said


def test_a_reader_who_leaves_before_the_page_is_sent_is_no_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(load_site_config(project.root), project.root, "127.0.0.1", 0)
    try:
        for gone in (BrokenPipeError(32, "Broken pipe"), ValueError("a real bug")):
            with socket.socket() as request:
                try:
                    raise gone
                except Exception:  # noqa: BLE001 (as the server's request thread catches it)
                    server.handle_error(request, ("127.0.0.1", 40000))
    finally:
        server.server_close()
    said = capsys.readouterr().err
    assert "BrokenPipeError" not in said  # a closed tab, a fetch the page abandoned
    assert "ValueError: a real bug" in said  # a fault of the preview is still shown


@pytest.mark.parametrize(("base", "page"), [("/", "/articles/"), ("/docs/", "/docs/articles/")])
def test_a_site_is_previewed_at_its_base_urls_path(project: Project, base: str, page: str) -> None:
    """A site whose address is not /<tenant>/ (the host's root, a folder of another name)
    is shown where its own links point, not sent round in circles or to 404s."""
    site_yaml = project.root / "content" / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace(
        "https://help.test/eur/", f"https://help.test{base}"))  # fmt: skip
    config = load_site_config(project.root)
    assert config.tenant("eur").base_path == base
    options = BuildOptions(root=project.root, quiet=True)
    LiveSite(options).rebuild()
    server = make_server(config, options.site_dir, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, home = get(f"{url}/")  # followed to the base path, once
        assert status == 200 and "<h1>How can we help?</h1>" in home
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', home)
        assert stylesheet and stylesheet.group(1).startswith(f"{base}assets/")
        assert get(url + stylesheet.group(1))[0] == 200  # the page's own links resolve
        status, body = get(f"{url}{page}")
        assert status == 404 and "find that page" in body  # the tenant's own 404 page
        assert get(f"{url}/km/")[0] == 200  # the other tenant where it always was
    finally:
        server.shutdown()
        server.server_close()
