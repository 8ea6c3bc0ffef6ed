"""Pagefind: the client-side search index of a built site, so search needs no server."""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kbgen.errors import KbgenError
from kbgen.lifetime import end_with_parent

BUNDLE = "pagefind"
# Only these pages carry data-pagefind-body; skipping the rest (home, lists, redirects) saves time.
INDEXED_FOLDERS = ("articles", "faq")
INDEXED = f"{{{','.join(INDEXED_FOLDERS)}}}/**/*.html"


def read_by_pagefind(rel: str) -> bool:
    """Say whether Pagefind reads the site's file `rel` (it may read fewer: never more)."""
    return rel.endswith(".html") and rel.partition("/")[0] in INDEXED_FOLDERS


def pagefind_command() -> list[str]:
    """Return the command that runs Pagefind, found as Pagefind's own wrapper finds it
    (PAGEFIND_BINARY_PATH, the extended binary's wheel, the plain one's) but run directly:
    `python -m pagefind` starts an interpreter only to exec the binary, 0.1 s a run."""
    if chosen := os.environ.get("PAGEFIND_BINARY_PATH"):
        # Pagefind runs in a folder of its own: a relative path is made absolute first.
        return [str(Path(chosen).resolve()) if os.sep in chosen else chosen]
    for wheel in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            found: str = str(importlib.import_module(wheel).get_executable())
        except (ImportError, FileNotFoundError):
            continue
        return [found]
    return [sys.executable, "-m", "pagefind"]


class SiteIndexing:
    """A Pagefind run over a built site folder, going on in the background until `wait()`."""

    def __init__(self, folder: Path, language: str, output: Path | None = None) -> None:
        self.folder = folder
        command = [
            *pagefind_command(),
            "--site", str(folder),
            "--output-path", str(output or folder / BUNDLE),
            "--glob", INDEXED,
            "--force-language", language.split("-")[0],
            "--silent",
        ]  # fmt: skip
        # Pagefind also reads its settings from a pagefind.json, .yml or .toml where it runs
        # and from PAGEFIND_* variables: a writer's leftover from using Pagefind directly would
        # change what kbgen's index holds. It runs in an empty folder of its own, without them.
        self.workdir = tempfile.mkdtemp(prefix="kbgen-pagefind-")
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("PAGEFIND_")}  # fmt: skip
        try:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                preexec_fn=functools.partial(end_with_parent, os.getpid()),  # noqa: PLW1509
            )  # fmt: skip
        except OSError as exc:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise KbgenError(f"cannot run pagefind ({command[0]}): {exc.strerror}") from None

    def wait(self, timeout: float = 600) -> None:
        """Wait for Pagefind to finish; raise a KbgenError with its output if it failed.
        Waiting again once it finished well returns at once."""
        if self.process.returncode == 0:
            return
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise KbgenError(f"pagefind took over {timeout:.0f} s on {self.folder}") from None
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.process.returncode != 0:
            detail = (err or out).strip()[-2000:]
            code = self.process.returncode
            raise KbgenError(f"pagefind failed on {self.folder} (exit {code}): {detail}")

    def cancel(self) -> None:
        """Stop Pagefind if it is still running (the build failed elsewhere)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()  # reaped, and its pipes closed, had it ended or not
        shutil.rmtree(self.workdir, ignore_errors=True)
