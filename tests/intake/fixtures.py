"""Session fixtures shared by tests/intake and the browser test: the database under test
(`--db sqlite|postgresql`) and a built sample help center."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BUILD_DAY = dt.date(2026, 11, 25)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --db: run the intake tests on SQLite (default) or a throw-away PostgreSQL."""
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database for the intake tests; postgresql starts a throw-away server",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under --db postgresql, run only the tests that use the database under test: the others
    (parsers, the command line on its own SQLite file) would repeat the SQLite pass."""
    if config.getoption("--db") != "postgresql":
        return
    uses = {item: "intake_db" in getattr(item, "fixturenames", ()) for item in items}
    kept, dropped = [i for i in items if uses[i]], [i for i in items if not uses[i]]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass
class DatabaseFactory:
    """Hands out one fresh, migrated database per test."""

    kind: str
    make: Callable[[str], str]

    def new(self, name: str) -> str:
        """Return the URL of a new database that has the full schema."""
        return self.make(name)


@pytest.fixture(scope="session")
def intake_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    """Migrate a template database once; each test then gets a copy of it."""
    from intake.cli.database import upgrade

    kind = request.config.getoption("--db")
    counter = itertools.count(1)
    if kind == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite")
        template = folder / "template.sqlite3"
        upgrade(f"sqlite:///{template}")

        def make_sqlite(_name: str) -> str:
            target = folder / f"db{next(counter)}.sqlite3"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"

        yield DatabaseFactory(kind, make_sqlite)
        return
    from scripts.pgserver import PgServer

    server = PgServer(fast=True)
    try:
        upgrade(server.start())

        def make_pg(_name: str) -> str:
            name = f"t{next(counter)}"
            server.create_database(name, template="intake")
            return server.url(name)

        yield DatabaseFactory(kind, make_pg)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a project with the sample content, built once (site/ and build/)."""
    from kbgen.build import build
    from kbgen.config import BuildOptions

    root = tmp_path_factory.mktemp("helpcenter")
    shutil.copytree(REPO / "content", root / "content")
    build(BuildOptions(root=root, today=BUILD_DAY))
    return root
