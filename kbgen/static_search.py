"""Pagefind: the client-side search index of a built site, so search needs no server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kbgen.errors import KbgenError

BUNDLE = "pagefind"


def index_site(folder: Path, language: str) -> None:
    """Index every page of `folder` (only their data-pagefind-body parts) into folder/pagefind."""
    command = [
        sys.executable, "-m", "pagefind",
        "--site", str(folder),
        "--output-subdir", BUNDLE,
        "--force-language", language.split("-")[0],
        "--silent",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise KbgenError(f"pagefind failed on {folder} (exit {done.returncode}): {detail}")
