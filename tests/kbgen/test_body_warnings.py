"""Markdown a writer mistyped that renders without a parser error: each is a warning with its
file and line, and `--strict` refuses it."""

from __future__ import annotations

import pytest

from kbgen.build import build
from kbgen.cli import main
from kbgen.config import BuildOptions
from tests.conftest import Project
from tests.kbgen.test_mistakes import TODAY, problems


def strict(project: Project) -> list[str]:
    return problems(project, strict=True)


def test_a_mistyped_callout_is_named_and_a_right_one_is_not(project: Project) -> None:
    body = (
        "Intro.\n\n> [!WARNNING]\n> Deleting cannot be undone.\n\n"
        "> [!TIP] Press K\n> to search.\n\n> [!NOTE]\n> Fine.\n\n> [!note]\n> Fine too.\n\n"
        "> A plain quote [!WARNNING] inside.\n"
    )
    project.article("a/c.md", "title: C\ncategory: general", body)
    assert strict(project) == [
        "content/eur/articles/a/c.md:7: warning: markdown: [!WARNNING] is not a callout kind, so"
        " the quote shows it as text; use one of NOTE, TIP, IMPORTANT, WARNING, CAUTION",
        "content/eur/articles/a/c.md:10: warning: markdown: [!TIP] must stand alone on its line"
        " to make a callout, so the quote shows it as text; move what follows it to the next line",
    ]


def test_footnotes_never_defined_or_never_cited_are_named(project: Project) -> None:
    body = (
        "Refunds take 5 days.[^bank] Cards too.[^card]\n"
        "Code `[^not-a-note]` is code, and \\[^escaped] is text on purpose.\n\n"
        "[^card]: Card issuers vary.\n\n"
        "[^unused]: Nobody cites this.\n"
    )
    project.article("a/f.md", "title: F\ncategory: general", body)
    assert strict(project) == [
        "content/eur/articles/a/f.md:5: warning: markdown: footnote [^bank] is never defined, so"
        ' it shows as written; add a line "[^bank]: its text"',
        "content/eur/articles/a/f.md:10: warning: markdown: footnote [^unused] is never"
        " referenced, so its text is left off the page; cite it with [^unused] or delete it",
    ]


def test_an_image_without_alt_text_is_a_warning(project: Project) -> None:
    project.write("content/eur/images/plan.png", b"\x89PNG")
    body = (
        'Intro.\n\n![](../../images/plan.png "A title only")\n\n'
        "![The plan](../../images/plan.png)\n"
    )
    project.article("a/i.md", "title: I\ncategory: general", body)
    assert strict(project) == [
        "content/eur/articles/a/i.md:7: warning: image: the image has no alt text, so screen"
        " readers skip it; describe it between the brackets: ![What it shows](file.png)"
    ]


def test_a_page_with_no_body_is_a_warning(project: Project) -> None:
    project.article("a/empty.md", "title: E\ncategory: general", "\n  \n")
    project.faq("empty.md", "question: Empty?\ncategory: general", "")
    assert strict(project) == [
        "content/eur/articles/a/empty.md:5: warning: markdown: the article has no text below its"
        " front matter, so its page is published empty",
        "content/eur/faqs/empty.md:5: warning: markdown: the answer has no text below its front"
        " matter, so its page is published empty",
    ]


def test_a_folder_no_tenant_names_is_a_warning(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.article("a/lost.md", "title: Lost\ncategory: general", tenant="kms")
    (project.root / "content" / ".git-notes").mkdir()  # hidden folders are nobody's business
    assert strict(project) == [
        "content/kms/: warning: no tenant in site.yaml is called 'kms' (it defines eur, km), so"
        " nothing in this folder is published; did you mean 'km'?"
    ]
    assert main(["--root", str(project.root), "-q", "build"]) == 0  # a warning, not an error
    assert "content/kms/: warning: no tenant" in capsys.readouterr().err
    assert not (project.root / "site" / "kms").exists()


def test_warnings_print_in_file_and_line_order(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "Text.[^x]\n\n> [!WARNNING]\n> y\n\n[^z]: unused\n"
    project.article("a/w.md", "title: W\ncategory: general", body)
    assert main(["--root", str(project.root), "-q", "check"]) == 0
    lines = [line.split(":")[1] for line in capsys.readouterr().err.splitlines()]
    assert lines == ["5", "7", "10"]


def test_a_value_listed_twice_counts_once(project: Project) -> None:
    project.article("a/other.md", "title: Other\ncategory: general\nslug: other")
    project.article(
        "a/d.md",
        "title: D\ncategory: general\ntags: [Billing, billing, invoices]\n"
        "redirect_from: [/old/d.html, /old/d.html]\nrelated: [other, other]",
    )
    build(BuildOptions(root=project.root, today=TODAY, strict=True))
    page = (project.root / "site" / "eur" / "articles" / "d" / "index.html").read_text()
    assert page.count("/tags/billing/") == 1
    assert page.count('<li><a href="/eur/articles/other/">') == 1  # in Related, once
