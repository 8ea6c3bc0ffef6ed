"""Browser fixtures: Debian's Chromium driven by Playwright, and the built site and the service
on loopback."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from kbgen.build import build
from kbgen.config import BuildOptions, load_site_config
from kbgen.serve import make_server
from tests.conftest import REPO
from tests.e2e.helpers import Service, serve_intake
from tests.intake.fixtures import DatabaseFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch headless Chromium once for the session (the test command installs it)."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: run `make test`, which installs it"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the sample help center and serve it on a free loopback port."""
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(REPO / "content", root / "content")
    build(BuildOptions(root=root, today=dt.date(2026, 11, 25)))
    server = make_server(load_site_config(root), root / "site", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser_no_js_page(browser: Browser) -> Iterator[Page]:
    """A tab with JavaScript turned off, as some customers browse."""
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def intake(
    browser: Browser, intake_db: DatabaseFactory, kb_root: Path, tmp_path: Path
) -> Iterator[Service]:
    """Serve the service on a fresh database for one test."""
    with serve_intake(intake_db.new("e2e"), kb_root, tmp_path / "uploads") as service:
        yield service
        for context in browser.contexts:  # their open pages' event streams end with them
            context.close()


@pytest.fixture
def intake_url(intake: Service) -> str:
    """Return the address of the service of this test."""
    return intake.url
