"""Shared fixtures: throw-away help-center projects written under tmp_path."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SITE_YAML = """\
default_tenant: eur
tenants:
  eur:
    name: Test Help
    base_url: https://help.test/eur/
    language: en
    ticket_prefix: EUR
    intake_url: https://desk.test/eur/tickets/new
  km:
    name: KM Help
    base_url: https://help.test/km/
    language: en
    ticket_prefix: KM
"""


class Project:
    """A help-center project on disk that a test fills with files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("content/site.yaml", SITE_YAML)

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def article(
        self, rel: str, front: str, body: str = "Body text.\n", tenant: str = "eur"
    ) -> Path:
        """Write content/<tenant>/articles/<rel> with the given front-matter lines."""
        text = "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n" + textwrap.dedent(body)
        return self.write(f"content/{tenant}/articles/{rel}", text)

    def faq(self, rel: str, front: str, body: str = "An answer.\n", tenant: str = "eur") -> Path:
        """Write content/<tenant>/faqs/<rel> with the given front-matter lines."""
        text = "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n" + textwrap.dedent(body)
        return self.write(f"content/{tenant}/faqs/{rel}", text)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Return an empty two-tenant project with one valid article per tenant."""
    proj = Project(tmp_path)
    proj.article("start/welcome.md", "title: Welcome\ncategory: getting_started")
    proj.article("start/hello.md", "title: Hello\ncategory: general", tenant="km")
    return proj


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of the repository's sample help center (content only)."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "content", root / "content")
    return root


# intake: --db (SQLite or a throw-away PostgreSQL) and a built sample help center, shared by
# tests/intake and the browser test of the ticket flow.
from tests.intake.fixtures import (  # noqa: E402, F401
    intake_db,
    kb_root,
    pytest_addoption,
    pytest_collection_modifyitems,
)
