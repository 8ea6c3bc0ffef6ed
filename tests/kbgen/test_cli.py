"""The command line's own options."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kbgen import __version__
from kbgen.cli import main
from tests.conftest import Project


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"kbgen {__version__}\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_root_and_quiet_go_before_or_after_the_command(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, where: str,
) -> None:  # fmt: skip
    """`kbgen build -q --root X` works as `kbgen -q --root X build` does; after the command
    they win over the same options before it."""
    monkeypatch.chdir(tmp_path)  # elsewhere than the project
    options = ["-q", "--root", str(project.root)]
    argv = [*options, "build"] if where == "before" else ["--root", "/nowhere", "build", *options]
    assert main(argv) == 0
    assert (project.root / "site" / "eur" / "index.html").is_file()
    assert capsys.readouterr().out == ""  # quiet


def test_without_the_options_a_command_keeps_their_defaults(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    assert main(["check"]) == 0
    assert "problem" not in capsys.readouterr().err


def test_a_busy_or_impossible_port_is_named_without_a_traceback(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--root", str(project.root), "-q", "serve", "--port", str(port)]) == 1
    said = capsys.readouterr().err
    assert said == (
        f"kbgen: port {port} of 127.0.0.1 is in use: stop what serves there, or"
        " choose another with --port\n"
    )  # named before building: no build's output
    assert not (project.root / "site").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["--root", str(project.root), "serve", "--port", "99999"])
    assert exit_info.value.code == 2
    assert "'99999' is not a port (0 to 65535)" in capsys.readouterr().err


def test_new_refuses_an_empty_folder_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["new", ""])
    assert exit_info.value.code == 2
    assert "give the new help center's folder (. for this one)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_search_limit_outside_1_to_100_is_refused(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for limit in ("0", "-1", "101"):
        with pytest.raises(SystemExit) as exit_info:
            main(["--root", str(project.root), "search", "refund", "--limit", limit])
        assert exit_info.value.code == 2
        assert f"{limit!r} is not a number of results (1 to 100)" in capsys.readouterr().err
