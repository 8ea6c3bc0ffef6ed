"""Theme files under fingerprinted names, for caching for a year, with their manifest."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kbgen.build import build
from kbgen.config import BuildOptions
from kbgen.errors import KbgenError
from tests.conftest import Project

TODAY = dt.date(2026, 11, 25)


def test_pages_link_theme_files_by_names_that_change_with_their_bytes(project: Project) -> None:
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    assets = project.root / "site" / "eur" / "assets"
    names = json.loads((assets / "manifest.json").read_text())
    assert {"style.css", "menu.js", "search-box.js", "pygments.css"} <= set(names)
    for name, hashed in names.items():
        assert re.fullmatch(
            re.escape(name.rsplit(".", 1)[0]) + r"\.[0-9a-f]{10}\." + r"\w+", hashed
        )
        assert (assets / hashed).read_bytes() == (assets / name).read_bytes()  # both served
    home = (project.root / "site" / "eur" / "index.html").read_text()
    assert f'href="/eur/assets/{names["style.css"]}"' in home
    assert f'src="/eur/assets/{names["menu.js"]}"' in home
    assert 'assets/style.css"' not in home
    # A writer's own stylesheet: a new name, and the pages follow it.
    project.write("templates/site/static/style.css", "body { color: #111; }\n")
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    again = json.loads((assets / "manifest.json").read_text())
    assert again["style.css"] != names["style.css"] and again["menu.js"] == names["menu.js"]
    home = (project.root / "site" / "eur" / "index.html").read_text()
    assert f'href="/eur/assets/{again["style.css"]}"' in home
    # A page cached before the build still finds its stylesheet, for one build more.
    assert (assets / names["style.css"]).is_file()
    project.write("templates/site/static/style.css", "body { color: #222; }\n")
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    third = json.loads((assets / "manifest.json").read_text())
    assert (assets / again["style.css"]).is_file() and (assets / third["style.css"]).is_file()
    assert not (assets / names["style.css"]).exists()


def test_a_template_asking_for_a_theme_file_that_does_not_exist_is_an_error(
    project: Project,
) -> None:
    project.write(
        "content/eur/templates/404.html",
        '{% extends "base.html" %}{% block head %}'
        '<link rel="stylesheet" href="{{ asset("nope.css") }}">{% endblock %}',
    )
    with pytest.raises(KbgenError, match=r"asset\('nope.css'\): no such theme file; there are"):
        build(BuildOptions(root=project.root, quiet=True, today=TODAY))
