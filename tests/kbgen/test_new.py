"""`kbgen new`: a scaffolded help center that checks strictly and builds, or nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbgen.cli import main
from kbgen.new import scaffold_files


def test_a_new_help_center_checks_strictly_and_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "docs"
    assert main(["new", str(root)]) == 0
    assert f"Next: cd {root} && kbgen serve" in capsys.readouterr().out
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == {
        "NEXT-STEPS.md",
        "content/site.yaml",
        "content/help/articles/getting-started/welcome.md",
        "content/help/faqs/where-do-new-articles-go.md",
    }
    assert main(["--root", str(root), "check", "--strict"]) == 0
    assert main(["--root", str(root), "-q", "build"]) == 0
    assert capsys.readouterr().err == ""  # not one warning
    site = root / "site" / "help"
    article = (site / "articles/welcome/index.html").read_text()
    assert "Welcome to your help center" in article
    assert 'href="/help/faq/#where-do-new-articles-go"' in article  # the .md link, rewritten
    faq = (site / "faq/where-do-new-articles-go/index.html").read_text()
    assert "Where do new articles go?" in faq
    assert (site / "pagefind").is_dir() and (root / "build/help/index").is_dir()


def test_next_steps_say_how_to_preview_edit_build_and_where_the_docs_are() -> None:
    text = scaffold_files()["NEXT-STEPS.md"].decode()
    for step in ("kbgen serve", "content/site.yaml", "kbgen check --strict", "kbgen build"):
        assert step in text
    assert "## Where the docs are" in text


@pytest.mark.parametrize("existing", ["content/site.yaml", "content/"])
def test_a_folder_with_content_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: str
) -> None:
    (tmp_path / "content").mkdir()
    if not existing.endswith("/"):
        (tmp_path / existing).write_text("mine")
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    assert main(["new", str(tmp_path)]) == 1
    why = "`kbgen new` needs a folder without content/"
    assert capsys.readouterr().err == f"kbgen: {tmp_path / 'content'} already exists; {why}\n"
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "NEXT-STEPS.md").write_text("my notes")
    assert main(["new", str(tmp_path)]) == 1
    assert (tmp_path / "NEXT-STEPS.md").read_text() == "my notes"
    assert not (tmp_path / "content").exists()
