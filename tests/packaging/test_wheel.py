"""The built wheel, installed into a fresh virtual environment outside the repository, works.

The wheel is built from the files git tracks (as from a clean clone), with the project's own
setuptools and no network. Its dependencies come from the development environment through a
path file, so this test needs no package index; kbgen and intake themselves come only from
the wheel (the test checks where they are imported from).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.pgserver import free_port
from tests.conftest import REPO


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist, then the wheel from it, from a copy of the tracked files."""
    source = tmp_path_factory.mktemp("clone") / "helpcenter"
    tracked = run(["git", "ls-files", "-z"], REPO).split("\0")
    for rel in filter(None, tracked):
        if (REPO / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, source / rel)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        source)  # fmt: skip
    (found,) = out.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the wheel alone into a new virtual environment; return its bin folder."""
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(home)], home)
    bin_dir = home / "bin"
    run([str(bin_dir / "pip"), "install", "--quiet", "--no-deps", "--no-index", str(wheel)], home)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = run([str(bin_dir / "python"), "-c", where], home).strip()
    # Dependencies only: the development environment's packages, after the wheel's own.
    Path(purelib, "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return bin_dir


def test_the_wheel_carries_templates_migrations_and_the_service_as_an_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith("/METADATA"))
    assert {"kbgen/templates/site/article.html", "kbgen/templates/shared/header.html",
            "kbgen/templates/site/static/style.css", "intake/templates/portal/new.html",
            "intake/templates/web/static/intake.css", "intake/migrations/env.py",
            "intake/migrations/versions/0001_initial_schema.py",
            "kbgen/scaffold/content/site.yaml"} <= names  # fmt: skip
    assert not any(n.startswith(("tests/", "bench/", "scripts/")) for n in names)
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    flask = next(line for line in requires if "flask" in line.lower().split(";")[0])
    assert 'extra == "service"' in flask  # a writer installing kbgen gets no web service
    markdown = next(line for line in requires if "markdown-it-py" in line)
    assert "extra" not in markdown


@pytest.fixture
def start() -> Iterator[Callable[[list[str], Path, dict[str, str]], None]]:
    """Start a server process for the test; every one is stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        quiet = subprocess.DEVNULL
        started.append(subprocess.Popen(cmd, cwd=cwd, env=env, stdout=quiet, stderr=quiet))

    yield launch
    for process in started:
        process.terminate()
        process.wait(20)


def _get(url: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_kbgen_and_intake_work_from_the_wheel_in_a_new_project(
    venv: Path, tmp_path: Path, start: Callable[[list[str], Path, dict[str, str]], None]
) -> None:
    env = {"PATH": f"{venv}:/usr/bin:/bin", "HOME": str(tmp_path)}
    where = run(
        [
            str(venv / "python"),
            "-c",
            "import kbgen, intake; print(kbgen.__file__, intake.__file__)",
        ],
        tmp_path,
        env,
    )  # noqa: E501
    assert str(REPO) not in where and str(venv.parent) in where
    assert run(["kbgen", "--version"], tmp_path, env).startswith("kbgen ")
    assert run(["intake", "--version"], tmp_path, env).startswith("intake ")
    run(["kbgen", "new", "mysite"], tmp_path, env)
    site = tmp_path / "mysite"
    run(["kbgen", "check", "--strict"], site, env)
    run(["kbgen", "build"], site, env)
    assert (site / "site" / "help" / "index.html").is_file()
    assert (site / "site" / "help" / "assets" / "style.css").is_file()
    preview_port = free_port()
    start(["kbgen", "serve", "--port", str(preview_port)], site, env)
    assert "Example Help Center" in _get(f"http://127.0.0.1:{preview_port}/help/")
    service_env = {**env, "HELPCENTER_ROOT": str(site)}
    run(["intake", "db", "upgrade"], site, service_env)
    port = free_port()
    start(["intake", "serve", "--port", str(port)], site, service_env)
    assert _get(f"http://127.0.0.1:{port}/healthz") == "ok\n"
    form = _get(f"http://127.0.0.1:{port}/help/tickets/new")
    assert "Contact support" in form and "/_intake/static/intake.css" in form
    assert "body{" in _get(f"http://127.0.0.1:{port}/_intake/static/intake.css").replace(" ", "")
    assert os.path.exists(site / "instance" / "intake.sqlite3")
