"""Templates: kbgen's own, found through importlib.resources, and the project's overrides."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import jinja2

from kbgen.pages import environment, package_templates


def search_path(env: jinja2.Environment) -> list[str]:
    assert isinstance(env.loader, jinja2.FileSystemLoader)
    return [str(folder) for folder in env.loader.searchpath]


def test_kbgen_s_templates_are_package_data() -> None:
    folder = package_templates()
    assert folder == importlib.resources.files("kbgen.templates")
    assert (folder / "site" / "base.html").is_file()
    assert (folder / "shared").is_dir()


def test_a_project_without_templates_uses_kbgen_s(tmp_path: Path) -> None:
    package = package_templates()
    assert search_path(environment(tmp_path, "eur")) == [
        str(package / "site"),
        str(package / "shared"),
    ]


def test_overrides_come_first_tenant_then_project(tmp_path: Path) -> None:
    for folder in ("content/eur/templates", "templates/site", "templates/shared"):
        (tmp_path / folder).mkdir(parents=True)
    package = package_templates()
    assert search_path(environment(tmp_path, "eur")) == [
        str(tmp_path / "content/eur/templates"),
        str(tmp_path / "templates/site"),
        str(package / "site"),
        str(tmp_path / "templates/shared"),
        str(package / "shared"),
    ]
