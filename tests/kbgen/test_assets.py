"""Theme files under fingerprinted names, for caching for a year, with their manifest."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kbgen.build import build, check, check_pages
from kbgen.cli import main
from kbgen.config import BuildOptions
from kbgen.errors import ContentError, KbgenError
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


@pytest.mark.parametrize(
    ("template", "said"),
    [
        (b'{% extends "base.html" %}{% block main %}\n{{ 1 / 0 }}{% endblock %}',
         "{}:2: template 404.html (404.html): ZeroDivisionError: division by zero"),
        (b'{% extends "base.html" %}{% block main %}\n\n{{ nothing }}{% endblock %}',
         "{}:3: template 404.html (404.html): 'nothing' is undefined"),
        (b'{% extends "base.html" %}{% block main %}caf\xe9{% endblock %}',
         "template 404.html (404.html): a template it uses is not UTF-8"),
    ],
)  # fmt: skip
def test_a_template_that_fails_as_it_renders_is_named_and_the_site_stays(
    project: Project, template: bytes, said: str
) -> None:
    """`kbgen check` fails as the build would, naming the template's file and line; the build
    leaves the last good site."""
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    before = (project.root / "site/eur/404.html").read_bytes()
    written = project.write("content/eur/templates/404.html", template)
    said = said.format(written)
    with pytest.raises(KbgenError) as caught:
        build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    assert str(caught.value).startswith(said)
    assert (project.root / "site/eur/404.html").read_bytes() == before
    options = BuildOptions(root=project.root, quiet=True, today=TODAY)
    with pytest.raises(KbgenError) as caught:
        check_pages(check(options), options)
    assert str(caught.value).startswith(said)


def test_check_fails_on_a_template_s_syntax_error_and_missing_theme_file(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(project.root)
    project.write("templates/site/article.html", "{% extends 'base.html' %}\n{{ x }\n")
    assert main(["-q", "--root", root, "check"]) == 1
    said = capsys.readouterr().err
    assert (
        f"kbgen: {project.root / 'templates/site/article.html'}:2: template: unexpected '}}'"
        in said
    )
    project.write("templates/site/article.html", '{{ asset("extra.css") }}')
    assert main(["-q", "--root", root, "check"]) == 1
    assert "asset('extra.css'): no such theme file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("redirect", "said"),
    [
        ("/kb//reset.html", "'/kb//reset.html' holds an empty, . or .. part"),
        ("/kb/./reset.html", "'/kb/./reset.html' holds an empty, . or .. part"),
        ("/" + "x" * 101, "has a part longer than 100 characters"),
    ],
)
def test_a_redirect_path_that_is_not_clean_is_named(
    project: Project, redirect: str, said: str
) -> None:
    project.article("a/moved.md", f"title: Moved\ncategory: general\nredirect_from: [{redirect}]")
    with pytest.raises(ContentError) as caught:
        build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    (problem,) = caught.value.problems
    assert str(problem).startswith("content/eur/articles/a/moved.md:4: redirect_from: item 1:")
    assert said in str(problem)


def test_a_redirect_where_a_file_is_written_is_named_and_the_site_stays(project: Project) -> None:
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    project.article(
        "a/moved.md", "title: Moved\ncategory: general\nredirect_from: [/eur/feed.xml/]"
    )
    with pytest.raises(KbgenError, match="needs a folder feed.xml/ where|where other files need"):
        build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    assert (project.root / "site/eur/feed.xml").is_file()


@pytest.mark.parametrize(
    ("redirect", "said"),
    [
        ("/KB/Reset.html", "KB/Reset.html and kb/reset.html differ only in case"),
        ("/kb/reset.html/", "it needs a folder kb/reset.html/ where kb/reset.html is a file"),
        ("/images/shot.png/old", "it needs a folder images/shot.png/ where images/shot.png"),
        ("/articles/a/index.html/x",
         "it needs a folder articles/a/index.html/ where articles/a/index.html"),
        ("/kb", "kb/index.html"),  # a folder of other redirects' files: its page is fine
    ],
)  # fmt: skip
def test_a_redirect_the_tree_cannot_hold_is_named_by_check_on_its_line(
    project: Project, redirect: str, said: str
) -> None:
    """`kbgen check` finds what the build's writing would refuse, on the article's line."""
    project.write("content/eur/images/shot.png", b"\x89PNG")
    project.article("a/a.md", "title: A\ncategory: general\nslug: a\n"
                    "redirect_from: [/kb/reset.html]")  # fmt: skip
    project.article("a/moved.md", f"title: Moved\ncategory: general\nredirect_from: [{redirect}]")
    options = BuildOptions(root=project.root, quiet=True, today=TODAY)
    if redirect == "/kb":
        check(options)
        return
    with pytest.raises(ContentError) as caught:
        check(options)
    (problem,) = caught.value.problems
    assert str(problem).startswith("content/eur/articles/a/moved.md:4: redirect_from: "), problem
    assert said in str(problem)


def test_two_files_whose_names_differ_only_in_case_are_refused(project: Project) -> None:
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    project.write("content/eur/images/DNS-Records.svg", b"<svg/>")
    project.write("content/eur/images/dns-records.svg", b"<svg></svg>")
    with pytest.raises(KbgenError, match="differ only in case"):
        build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    assert not (project.root / "site/eur/images").exists()  # the last good site stays


def test_the_check_names_every_file_the_site_cannot_hold(project: Project) -> None:
    """`kbgen check` (what CI runs) refuses what the build's writer would, each file on its
    own line, all in one run: a writer's file where kbgen writes, or beside another."""
    build(BuildOptions(root=project.root, quiet=True, today=TODAY))
    home = (project.root / "site/eur/index.html").read_bytes()
    strays = {
        "404.html": "would replace 404.html, which kbgen writes itself",
        "feed.xml": "would replace feed.xml, which kbgen writes itself",
        "faq/index.html": "would replace faq/index.html, which kbgen writes itself",
        "assets/style.css": "is in assets/, a folder kbgen fills itself",
        "pagefind/x.js": "is in pagefind/, a folder kbgen fills itself",
        "search/words/5.json": "is in search/words/, a folder kbgen fills itself",
        "Assets/logo.css": "is in assets/, a folder kbgen fills itself",  # where case is ignored
        "search/Words/6.json": "is in search/words/, a folder kbgen fills itself",
        "images/logo.png": "images/logo.png and images/Logo.png differ only in case",
        "categories": "categories would be a file where categories/ is a folder",
    }
    project.write("content/eur/images/Logo.png", b"png")
    for rel in strays:
        project.write(f"content/eur/{rel}", b"stray")
    options = BuildOptions(root=project.root, quiet=True, today=TODAY)
    with pytest.raises(ContentError) as caught:
        check(options)
    said = {p.path.removeprefix("content/eur/"): f"{p.line}: {p.message}"
            for p in caught.value.problems}  # fmt: skip
    assert said.keys() == strays.keys()
    for rel, why in strays.items():
        assert said[rel].startswith("1: ") and why in said[rel], rel
    with pytest.raises(ContentError):
        build(options)
    assert (project.root / "site/eur/index.html").read_bytes() == home  # nothing was written
